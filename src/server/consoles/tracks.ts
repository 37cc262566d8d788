// Pipes whose agent is linked to this node: which console each belongs to (only a console assigned to the
// agent that sends), and where its output stands: handed to the access log, committed, acknowledged to the
// agent with pipe:stored (in batches, and never beyond what is committed).
import { eq, and } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles } from '../db/schema';
import { storedOutputSeq } from '../accesslog';
import { roomInfo } from './rooms';
import { consoleState, type PipeTrack } from './state';

const ACK_EVERY_MS = 20;

/** The pipe's track, if the pipe is the current pipe of a console assigned to `agentId`. */
export async function loadTrack(db: Db, agentId: string, pipeId: string): Promise<PipeTrack | null> {
	const s = consoleState();
	const known = s.pipes.get(pipeId);
	if (known) return known.agentId === agentId ? known : null;
	const [c] = await db
		.select({
			id: consoles.id,
			agentId: consoles.agentId,
			deviceId: consoles.deviceId,
			seqBase: consoles.seqBase
		})
		.from(consoles)
		.where(eq(consoles.pipeId, pipeId));
	if (!c || c.agentId !== agentId) return null;
	const info = await roomInfo(db, c.id, true);
	if (!info || info.pipeId !== pipeId) return null;
	const stored = await storedOutputSeq(db, pipeId);
	// Loaded meanwhile by another message (the pipe's state and its first output come together): that track
	// numbers the output already, and the ring may hold this pipe's own output by now.
	const again = s.pipes.get(pipeId);
	if (again) return again;
	let base = Number(c.seqBase);
	// A pipe opened elsewhere may have been numbered below output this node still holds of the last one:
	// move it up before its first output reaches anyone, so the room's numbers only grow. Decided and set with
	// no wait in between, so a second lookup of the same pipe gets this track, not a second opinion.
	const ring = s.rings.get(c.id);
	const moved = !!ring && ring.lastSeq > base + stored;
	if (moved) {
		base = ring.lastSeq - stored;
		info.seqBase = base;
	}
	const track: PipeTrack = {
		pipeId,
		consoleId: c.id,
		deviceId: c.deviceId,
		agentId,
		base,
		accepted: stored,
		committed: stored,
		acked: stored,
		ackTimer: null
	};
	s.pipes.set(pipeId, track);
	if (moved)
		await db
			.update(consoles)
			.set({ seqBase: base })
			.where(and(eq(consoles.id, c.id), eq(consoles.pipeId, pipeId)));
	return track;
}

/** The console moved to another pipe (or was deleted): forget the tracks of its old pipes. */
export function dropStaleTracks(consoleId: number, currentPipeId: string | null): void {
	const s = consoleState();
	for (const [id, t] of s.pipes)
		if (t.consoleId === consoleId && id !== currentPipeId) {
			if (t.ackTimer) clearTimeout(t.ackTimer);
			s.pipes.delete(id);
		}
}

/** The access log committed output up to `seq`: tell the agent soon (one message for many chunks). */
export function committed(t: PipeTrack, seq: number): void {
	if (seq > t.committed) t.committed = seq;
	if (t.ackTimer) return;
	t.ackTimer = setTimeout(() => {
		t.ackTimer = null;
		const socket = consoleState().agents.get(t.agentId);
		if (!socket?.connected || t.committed <= t.acked) return;
		t.acked = t.committed;
		socket.emit('pipe:stored', { pipeId: t.pipeId, seq: t.committed });
	}, ACK_EVERY_MS);
}
