// Console traffic between app nodes (PostgreSQL only; one PGlite node needs none): Socket.IO server-side
// events through the PostgreSQL adapter that /desktop already uses. The adapter publishes each message on
// whichever pooled connection is free, so two messages can overtake each other; every message therefore
// carries its sender's running number and receivers apply each sender's messages in order (a gap is waited
// for briefly, then skipped).
import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import type { ConsoleParticipant } from '../../lib/protocol/consoles';
import { hasRuntime, runtime, type Runtime } from '../runtime';
import { consoleState, type RoomInfo } from './state';

export type BusMessage =
	/** A node's participants in one room (none: it has no viewers left). */
	| { t: 'viewers'; node: string; consoleId: number; participants: ConsoleParticipant[] }
	/** A node started: the others announce their viewers again. */
	| { t: 'hello'; node: string }
	/** A console changed: apply `patch`, or read the row again when there is none. */
	| { t: 'room'; consoleId: number; patch?: Partial<RoomInfo> }
	/** Output for viewers on other nodes, from the node holding the agent's link. */
	| { t: 'out'; consoleId: number; seq: number; data: Uint8Array }
	/** A node asks for a console's recent output (answered by the node holding its agent). */
	| { t: 'snapshot?'; id: string; consoleId: number; node: string }
	| { t: 'snapshot'; id: string; to: string; seq: number; data: Uint8Array }
	/** Input, resize or break for an agent linked to another node (already checked and logged). */
	| {
			t: 'pipe';
			agentId: string;
			pipeId: string;
			op: 'input' | 'resize' | 'break';
			data?: Uint8Array;
			cols?: number;
			rows?: number;
	  };

interface Envelope {
	src: string;
	n: number;
	m: BusMessage;
}

const EVENT = 'fleetdesk:console';
const GAP_WAIT_MS = 250;
const MAX_HELD = 4096;

function desktop(rt: Runtime): Namespace | null {
	return rt.database.pool && rt.io ? rt.io.of('/desktop') : null;
}

/** True when other nodes may exist (PostgreSQL): messages go out; on PGlite there is nobody to tell. */
export function clustered(): boolean {
	return hasRuntime() && !!desktop(runtime());
}

export function sendBus(m: BusMessage): void {
	if (!hasRuntime()) return;
	const ns = desktop(runtime());
	if (!ns) return;
	const bus = consoleState().bus;
	const env: Envelope = { src: bus.instance, n: ++bus.sent, m };
	ns.serverSideEmit(EVENT, env);
}

export interface Snapshot {
	seq: number;
	data: Uint8Array;
}

const asked = new Map<string, (s: Snapshot | null) => void>();

/**
 * Asks the node holding the console's agent link for its recent output (that node then sends this node the
 * console's live output too). Null when no answer comes in time: the stored log serves instead.
 */
export function requestSnapshot(consoleId: number, node: string, timeoutMs = 2000): Promise<Snapshot | null> {
	if (!clustered()) return Promise.resolve(null);
	const id = randomUUID();
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			asked.delete(id);
			resolve(null);
		}, timeoutMs);
		asked.set(id, (s) => {
			clearTimeout(timer);
			asked.delete(id);
			resolve(s);
		});
		sendBus({ t: 'snapshot?', id, consoleId, node });
	});
}

interface SenderState {
	next: number;
	held: Map<number, BusMessage>;
	timer: ReturnType<typeof setTimeout> | null;
	seen: number;
}

/** Listens for other nodes' messages (answers to this node's snapshot requests are taken here). */
export function startBus(rt: Runtime, handle: (m: BusMessage) => void): void {
	const ns = desktop(rt);
	if (!ns) return;
	const senders = new Map<string, SenderState>();

	const drain = (s: SenderState) => {
		for (let m = s.held.get(s.next); m; m = s.held.get(s.next)) {
			s.held.delete(s.next++);
			if (m.t === 'snapshot') asked.get(m.id)?.({ seq: m.seq, data: m.data });
			else safely(handle, m);
		}
		if (s.timer) clearTimeout(s.timer);
		s.timer = s.held.size ? setTimeout(() => skipGap(s), GAP_WAIT_MS) : null;
	};
	const skipGap = (s: SenderState) => {
		s.timer = null;
		if (!s.held.size) return;
		s.next = Math.min(...s.held.keys());
		drain(s);
	};

	ns.on(EVENT, (env: Envelope) => {
		if (!env || typeof env.src !== 'string' || typeof env.n !== 'number' || !env.m) return;
		let s = senders.get(env.src);
		if (!s) senders.set(env.src, (s = { next: env.n, held: new Map(), timer: null, seen: 0 }));
		s.seen = Date.now();
		if (env.n < s.next) return;
		s.held.set(env.n, env.m);
		if (s.held.size > MAX_HELD) return skipGap(s);
		drain(s);
	});
	// Forget senders that went quiet (a restarted node is a new sender).
	const prune = setInterval(() => {
		const old = Date.now() - 10 * 60_000;
		for (const [k, s] of senders) if (s.seen < old && !s.held.size) senders.delete(k);
	}, 60_000);
	prune.unref();
}

function safely(fn: (m: BusMessage) => void, m: BusMessage): void {
	try {
		fn(m);
	} catch (e) {
		console.error('consoles: a message from another node failed:', e);
	}
}
