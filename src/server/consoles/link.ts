// The console pipes' events on the agent link: output (stored, acknowledged once committed, shown live),
// state changes, and the inventory after each hello. An agent may only speak for pipes of consoles assigned
// to it; anything else is refused and logged.
import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles } from '../db/schema';
import { registerLinkModule } from '../agents/link';
import { refusalLogger } from '../agents/gateway-http';
import type { AgentSocket } from '../agents/gateway';
import {
	pipeOutputMessage,
	pipeStateMessage,
	PIPE_RECEIVED_STEP_BYTES,
	type PipeOutputMessage
} from '../../lib/protocol/consoles';
import { appendAccessLog } from '../accesslog';
import { scanConsoleOutput } from '../logs/patterns';
import { logEvent } from './logging';
import { pipeOutput } from './output';
import { roomChanged } from './rooms';
import { committed, loadTrack } from './tracks';
import { handleInventory } from './inventory';
import { observeOpenResults } from './open-results';
import { consoleState, type PipeTrack } from './state';
import { throttler } from './throttle';

/** Output waiting for its pipe to be looked up; past this the agent is flooding an unknown pipe. */
const MAX_WAITING = 4096;

const logRefusal = refusalLogger();

function attach(socket: AgentSocket, db: Db): void {
	const s = consoleState();
	const { agentId } = socket.data;
	const addr = socket.handshake.address;
	const refuse = (why: string) => logRefusal(addr, `agent ${agentId}: ${why}`);
	s.agents.set(agentId, socket);
	const throttle = throttler(db, socket);

	const store = (t: PipeTrack, m: PipeOutputMessage) => {
		if (m.seq <= t.accepted) return; // already stored or on its way (a resend after a reconnect)
		t.accepted = m.seq;
		const at = new Date(m.at);
		appendAccessLog(db, {
			consoleId: t.consoleId,
			deviceId: t.deviceId,
			kind: 'output',
			at,
			pipeId: t.pipeId,
			agentSeq: m.seq,
			data: m.data
		}).then(
			() => committed(t, m.seq),
			(e: Error) => {
				// Only a closed database gets here: the agent keeps what was not acknowledged and resends it.
				console.error(`consoles: storing output of pipe ${t.pipeId} failed: ${e.message}`);
				t.accepted = Math.min(t.accepted, t.committed);
				socket.disconnect(true);
			}
		);
		throttle();
		scanConsoleOutput(db, { consoleId: t.consoleId, deviceId: t.deviceId, at, data: m.data });
		const info = s.rooms.get(t.consoleId);
		if (info && info.pipeId === t.pipeId) pipeOutput(info, t.base + m.seq, m.data, t.base + t.committed);
	};

	// Output of a pipe not looked up yet waits here, in order, while its console is read.
	const waiting = new Map<string, PipeOutputMessage[]>();
	// Pipes refused on this link (replaced or never ours): their output is dropped without asking again.
	const refused = new Set<string>();
	const lookUp = async (pipeId: string) => {
		let t: PipeTrack | null = null;
		try {
			t = await loadTrack(db, agentId, pipeId);
		} catch (e) {
			console.error(`consoles: looking up pipe ${pipeId} failed:`, (e as Error).message);
		}
		const queued = waiting.get(pipeId) ?? [];
		waiting.delete(pipeId);
		if (!t) {
			if (refused.size > 1000) refused.clear();
			refused.add(pipeId);
			return refuse(`output for pipe ${pipeId}, which is not a current pipe of a console of this agent`);
		}
		for (const m of queued) store(t, m);
	};

	// The agent's output window (PIPE_OUTPUT_WINDOW_BYTES): every byte of output that arrived counts, whatever
	// becomes of it, so the agent's count and this one agree.
	let received = 0;
	let reported = 0;
	socket.on('pipe:output', (raw) => {
		const size = (raw as { data?: { byteLength?: unknown } } | null)?.data?.byteLength;
		if (typeof size === 'number') {
			received += size;
			if (received - reported >= PIPE_RECEIVED_STEP_BYTES) {
				reported = received;
				socket.emit('pipe:received', { bytes: received });
			}
		}
		const p = pipeOutputMessage.safeParse(raw);
		if (!p.success) return refuse('malformed pipe:output');
		const m = p.data;
		if (refused.has(m.pipeId)) return;
		const queued = waiting.get(m.pipeId);
		if (queued) {
			if (queued.length >= MAX_WAITING) return refuse(`too much output for unknown pipe ${m.pipeId}`);
			queued.push(m);
			return;
		}
		const t = s.pipes.get(m.pipeId);
		if (t && t.agentId === agentId) return store(t, m);
		waiting.set(m.pipeId, [m]);
		void lookUp(m.pipeId);
	});

	// One state at a time, in the order the agent sent them: handled concurrently, a pipe's "connecting" could
	// be written after its "open" (on PostgreSQL the two updates run on different pool connections).
	let states: Promise<void> = Promise.resolve();
	socket.on('pipe:state', (raw) => {
		states = states.then(() => pipeState(raw));
	});
	const pipeState = async (raw: unknown): Promise<void> => {
		const p = pipeStateMessage.safeParse(raw);
		if (!p.success) return refuse('malformed pipe:state');
		const m = p.data;
		try {
			const t = await loadTrack(db, agentId, m.pipeId);
			if (!t || t.consoleId !== m.consoleId)
				return refuse(
					`state for pipe ${m.pipeId}, which is not a pipe of console ${m.consoleId} of this agent`
				);
			const message = m.message ?? null;
			// Once the server stopped a pipe, what the agent says about it while closing changes nothing.
			const [row] = await db
				.update(consoles)
				.set({ pipeState: m.state, pipeMessage: message, pipeStateAt: new Date(m.at) })
				.where(and(eq(consoles.pipeId, m.pipeId), ne(consoles.pipeState, 'stopped')))
				.returning({ id: consoles.id });
			// Stopped (perhaps by the CLI, which tells no node): show the row as it is.
			if (!row) return await roomChanged(db, t.consoleId);
			await roomChanged(db, t.consoleId, { pipeState: m.state, pipeMessage: message });
			logEvent(db, { consoleId: t.consoleId, deviceId: t.deviceId }, null, {
				event: 'pipe',
				state: m.state,
				...(message ? { message } : {})
			});
		} catch (e) {
			console.error(`consoles: pipe state from ${agentId} failed:`, (e as Error).message);
		}
	};

	socket.on('pipe:inventory', (items, ack) => {
		if (typeof ack !== 'function') return refuse('pipe:inventory without acknowledgement');
		void handleInventory(db, socket, items, ack, refuse);
	});
	observeOpenResults(db, socket);

	socket.on('disconnect', () => {
		if (s.agents.get(agentId) === socket) s.agents.delete(agentId);
		void agentGone(db, agentId).catch((e) =>
			console.error(`consoles: marking the consoles of ${agentId} offline failed:`, (e as Error).message)
		);
	});
}

/** The agent's link went down: its rooms show it at once (the lease is released in parallel). */
async function agentGone(db: Db, agentId: string): Promise<void> {
	if (consoleState().agents.has(agentId)) return; // already back
	const rows = await db.select({ id: consoles.id }).from(consoles).where(eq(consoles.agentId, agentId));
	for (const r of rows) await roomChanged(db, r.id, { agentOnline: false });
}

registerLinkModule({
	name: 'consoles',
	events: ['pipe:output', 'pipe:state', 'pipe:inventory'],
	attach: (socket, { db }) => attach(socket, db)
});
