// Back-pressure from the access log to the agents. Output is shown as it arrives but acknowledged only once
// committed; when the log's queue grows past a bound (the database is slower than the consoles), the links
// that feed it stop being read for a moment, so the agents hold their output (the agent keeps it until
// acknowledged) instead of this process's memory. A pause is short: the link's heartbeats must get through.
import type { Db } from '../db/client';
import type { AgentSocket } from '../agents/gateway';
import { accessLogBacklog } from '../accesslog';

const HIGH_BYTES = 48 * 1024 * 1024;
const LOW_BYTES = 16 * 1024 * 1024;
const CHECK_MS = 10;
const MAX_PAUSE_MS = 4_000;

interface Wire {
	pause(): void;
	resume(): void;
}

function wireOf(socket: AgentSocket): Wire | null {
	const ws = (socket.conn as unknown as { transport?: { socket?: Partial<Wire> } }).transport?.socket;
	return typeof ws?.pause === 'function' && typeof ws.resume === 'function' ? (ws as Wire) : null;
}

/** Call after handing output to the access log: pauses the link while the log's queue is too long. */
export function throttler(db: Db, socket: AgentSocket): () => void {
	let checked = 0;
	let paused = false;
	return () => {
		const now = Date.now();
		if (paused || now - checked < CHECK_MS) return;
		checked = now;
		if (accessLogBacklog(db) < HIGH_BYTES) return;
		const wire = wireOf(socket);
		if (!wire) return;
		paused = true;
		wire.pause();
		const since = now;
		const poll = setInterval(() => {
			if (socket.connected && accessLogBacklog(db) > LOW_BYTES && Date.now() - since < MAX_PAUSE_MS) return;
			clearInterval(poll);
			paused = false;
			checked = Date.now();
			if (socket.connected) wire.resume();
		}, CHECK_MS * 5);
	};
}
