// How console states, modes and times read in the picker, the status line and the replay player.
import type { ConsoleMode, ConsoleRoomState } from '$protocol/consoles';
import type { Phase } from './room.svelte';

export type ConsoleState = ConsoleRoomState['state'];

const STATE_LABELS: Record<ConsoleState, string> = {
	connecting: 'connecting',
	open: 'open',
	retrying: 'retrying',
	closed: 'closed',
	failed: 'failed',
	offline: 'offline',
	stopped: 'stopped'
};

export function stateLabel(s: ConsoleState | string): string {
	return STATE_LABELS[s as ConsoleState] ?? s;
}

/** The badge class for a pipe state: green open, amber on its way, red broken, grey stopped. */
export function stateBadge(s: ConsoleState | string): string {
	switch (s) {
		case 'open':
			return 'badge badge-success';
		case 'connecting':
		case 'retrying':
			return 'badge badge-warning';
		case 'failed':
		case 'offline':
			return 'badge badge-danger';
		default:
			return 'badge';
	}
}

export function modeLabel(m: ConsoleMode | 'none'): string {
	return m === 'write' ? 'write' : m === 'view' ? 'read-only' : 'no access';
}

export function phaseLabel(p: Phase): string {
	switch (p) {
		case 'joining':
			return 'Joining…';
		case 'joined':
			return 'Connected';
		case 'resyncing':
			return 'Resyncing…';
		case 'disconnected':
			return 'Disconnected; reconnecting…';
		case 'failed':
			return 'Not joined';
	}
}

/** "00:01:05.250" from milliseconds since the start of a recording. */
export function clock(ms: number, millis = false): string {
	const neg = ms < 0;
	const t = Math.abs(Math.round(ms));
	const h = Math.floor(t / 3_600_000);
	const m = Math.floor((t % 3_600_000) / 60_000);
	const s = Math.floor((t % 60_000) / 1000);
	const base = `${neg ? '-' : ''}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
	return millis ? `${base}.${String(t % 1000).padStart(3, '0')}` : base;
}

/** Wall-clock time of day with seconds: "14:05:09". */
export function timeOfDay(epochMs: number): string {
	return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}
