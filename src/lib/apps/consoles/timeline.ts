// The replay's model: an access log's records on a time axis, what to draw up to a moment, and the input
// each user typed (merged into readable runs for the side list).

export interface ReplayRecord {
	seq: number;
	/** Epoch ms. */
	at: number;
	kind: 'output' | 'input' | 'event';
	username: string | null;
	data: Uint8Array;
}

export interface InputRun {
	/** The first record of the run (where "jump" goes). */
	seq: number;
	at: number;
	username: string;
	/** What was typed, control keys shown as ⏎, ⌫, ^C, ⎋ … */
	text: string;
}

const decoder = new TextDecoder();

/** Printable form of typed bytes: keys a person would recognise rather than invisible control codes. */
export function showKeys(data: Uint8Array): string {
	const s = decoder.decode(data);
	let out = '';
	for (let i = 0; i < s.length; i++) {
		const ch = s[i];
		const c = ch.charCodeAt(0);
		if (s.startsWith('\x1b[200~', i) || s.startsWith('\x1b[201~', i)) {
			// Bracketed paste markers: the terminal's wrapping of a paste, not keys anyone typed.
			i += 5;
		} else if (ch === '\x1b') {
			// Arrow keys and friends: ESC [ A, ESC O A …
			// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
			const m = /^\x1b[[O]([0-9;]*)([A-Za-z~])/.exec(s.slice(i));
			if (m) {
				out += ({ A: '↑', B: '↓', C: '→', D: '←', H: '⇱', F: '⇲' } as Record<string, string>)[m[2]] ?? '⎋';
				i += m[0].length - 1;
			} else out += '⎋';
		} else if (ch === '\r' || ch === '\n') out += '⏎';
		else if (ch === '\t') out += '⇥';
		else if (c === 0x7f || c === 0x08) out += '⌫';
		else if (c < 0x20) out += `^${String.fromCharCode(c + 0x40)}`;
		else out += ch;
	}
	return out;
}

/** Typing by one user with pauses under `gapMs` reads as one run; a new line starts a new run. */
export function inputRuns(records: readonly ReplayRecord[], gapMs = 2000): InputRun[] {
	const runs: InputRun[] = [];
	let last: { run: InputRun; at: number; ended: boolean } | null = null;
	for (const r of records) {
		if (r.kind !== 'input') continue;
		const username = r.username ?? 'unknown';
		const text = showKeys(r.data);
		if (last && !last.ended && last.run.username === username && r.at - last.at < gapMs) {
			last.run.text += text;
			last.at = r.at;
		} else {
			const run: InputRun = { seq: r.seq, at: r.at, username, text };
			runs.push(run);
			last = { run, at: r.at, ended: false };
		}
		last.ended = text.endsWith('⏎');
	}
	return runs;
}

/** The number of records at or before `at` (records are in time order). */
export function countUpTo(records: readonly ReplayRecord[], at: number): number {
	let lo = 0;
	let hi = records.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (records[mid].at <= at) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/** The output bytes of records [from, to) in one buffer: seeking draws them with one write. */
export function outputBetween(records: readonly ReplayRecord[], from: number, to: number): Uint8Array {
	let n = 0;
	for (let i = from; i < to; i++) if (records[i].kind === 'output') n += records[i].data.length;
	const out = new Uint8Array(n);
	let o = 0;
	for (let i = from; i < to; i++) {
		if (records[i].kind !== 'output') continue;
		out.set(records[i].data, o);
		o += records[i].data.length;
	}
	return out;
}

/** The users who typed, each with a colour index for the timeline's marks and the side list. */
export function typists(runs: readonly InputRun[]): Map<string, number> {
	const m = new Map<string, number>();
	for (const r of runs) if (!m.has(r.username)) m.set(r.username, m.size);
	return m;
}

/**
 * Parses what the user typed into "Jump to": a time of day on the recording's first day ("14:05", "14:05:30")
 * or an offset from its start ("+90", "+1:30", "+0:01:30"). Returns epoch ms, or null when unreadable.
 */
export function parseJump(text: string, start: number): number | null {
	const m = /^(\+)?(\d{1,6})(?::(\d{1,2}))?(?::(\d{1,2}(?:\.\d{1,3})?))?$/.exec(text.trim());
	if (!m) return null;
	const [, plus, a, b, c] = m;
	if (plus) {
		const nums = [a, b, c].filter((x) => x !== undefined).map(Number);
		return start + Math.round(nums.reduce((acc, n) => acc * 60 + n, 0) * 1000);
	}
	if (b === undefined || Number(a) > 23 || Number(b) > 59) return null;
	const d = new Date(start);
	d.setHours(Number(a), Number(b), 0, Math.round(Number(c ?? 0) * 1000));
	// A recording that runs past midnight: "01:00" then means the next day.
	if (d.getTime() < start - 60_000) d.setDate(d.getDate() + 1);
	return d.getTime();
}

export interface RoomEvent {
	seq: number;
	at: number;
	/** One line: "alice joined (read-only)", "pipe retrying: connection refused". */
	text: string;
}

const decodeText = (d: Uint8Array) => new TextDecoder().decode(d);

/** What an 'event' record says, in words. Unknown shapes show as their event name. */
export function describeEvent(username: string | null, data: Uint8Array): string {
	let e: Record<string, unknown>;
	try {
		e = JSON.parse(decodeText(data)) as Record<string, unknown>;
	} catch {
		return decodeText(data).slice(0, 200);
	}
	const who = username ?? 'system';
	const str = (v: unknown) => (typeof v === 'string' ? v : '');
	switch (e.event) {
		case 'join':
			return `${who} joined (${e.mode === 'write' ? 'write' : 'read-only'})`;
		case 'leave':
			return `${who} left`;
		case 'break':
			return `${who} sent a break`;
		case 'control':
			return `${who}: ${str(e.action)} control${e.writer ? ` → ${str(e.writer)} has the keyboard` : ''}`;
		case 'input-dropped':
			return `${who}'s input was dropped (${str(e.reason)})`;
		case 'pipe':
			return `pipe ${str(e.state)}${e.message ? `: ${str(e.message)}` : ''}`;
		case 'start':
			return `${who} started the console`;
		case 'stop':
			return `${who} stopped the console`;
		default:
			return `${who}: ${str(e.event) || 'event'}`;
	}
}

export function roomEvents(records: readonly ReplayRecord[]): RoomEvent[] {
	return records
		.filter((r) => r.kind === 'event')
		.map((r) => ({ seq: r.seq, at: r.at, text: describeEvent(r.username, r.data) }));
}
