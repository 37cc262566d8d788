// After each hello the agent lists the pipes it runs. The server answers from where to resend output (what
// the access log has committed) and which pipes to close (consoles deleted, stopped, moved to another pipe),
// then opens the pipes that should run and do not: persistent consoles, and on-demand ones with viewers.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { consoles } from '../db/schema';
import { SYSTEM_ACTOR } from '../audit/audit';
import type { AgentSocket } from '../agents/gateway';
import { storedOutputSeq } from '../accesslog';
import { PIPE_STATES, type PipeInventoryAck } from '../../lib/protocol/consoles';
import { hasViewers, roomChanged } from './rooms';
import { loadTrack } from './tracks';
import { openPipe, setPipeState } from './pipes';
import { checkIdle } from './idle';

const items = z
	.array(
		z.object({
			pipeId: z.uuid(),
			consoleId: z.number().int().positive(),
			state: z.enum(PIPE_STATES),
			retainedFrom: z.number().int().nonnegative(),
			nextSeq: z.number().int().nonnegative()
		})
	)
	.max(10_000);

/** An open sent this recently may still be on its way to the agent: not reopened yet. */
const OPEN_IN_FLIGHT_MS = 15_000;

export async function handleInventory(
	db: Db,
	socket: AgentSocket,
	raw: unknown,
	ack: (a: PipeInventoryAck) => void,
	refuse: (why: string) => void
): Promise<void> {
	const agentId = socket.data.agentId;
	const p = items.safeParse(raw);
	if (!p.success) {
		refuse('malformed pipe:inventory');
		return ack({ resume: [], close: [] });
	}
	try {
		const rows = await db.select().from(consoles).where(eq(consoles.agentId, agentId));
		const byPipe = new Map(rows.filter((r) => r.pipeId).map((r) => [r.pipeId!, r]));
		const answer: PipeInventoryAck = { resume: [], close: [] };
		const running = new Set<string>();
		for (const it of p.data) {
			const r = byPipe.get(it.pipeId);
			if (!r || r.id !== it.consoleId) {
				answer.close.push(it.pipeId);
				continue;
			}
			running.add(it.pipeId);
			const t = await loadTrack(db, agentId, it.pipeId);
			const stored = await storedOutputSeq(db, it.pipeId);
			if (t) {
				t.accepted = Math.max(t.committed, stored);
				t.committed = t.acked = t.accepted;
			}
			answer.resume.push({ pipeId: it.pipeId, storedSeq: stored });
			// Stopped by the server while the agent was away: keep what it captured, then close it.
			if (!r.enabled || r.stoppedAt || r.pipeState === 'stopped') answer.close.push(it.pipeId);
			else if (r.pipeState !== it.state) await setPipeState(db, r.id, it.pipeId, it.state, r.pipeMessage);
		}
		ack(answer);
		const now = Date.now();
		for (const r of rows) {
			await roomChanged(db, r.id);
			if (r.pipeId && running.has(r.pipeId)) {
				checkIdle(db, r.id);
				continue;
			}
			const wanted = r.enabled && !r.stoppedAt && (r.persistent || hasViewers(r.id));
			if (!wanted) {
				// The agent has no such pipe (it restarted, or the pipe was closed while it was away).
				if (r.pipeId && r.pipeState !== 'stopped') await setPipeState(db, r.id, r.pipeId, 'stopped', null);
				continue;
			}
			const sent = r.pipeStateAt?.getTime() ?? 0;
			if (r.pipeState === 'connecting' && now - sent < OPEN_IN_FLIGHT_MS) continue;
			await openPipe(db, r.id, SYSTEM_ACTOR, r.pipeId);
		}
	} catch (e) {
		console.error(`consoles: the pipe inventory of ${agentId} failed:`, e);
		ack({ resume: [], close: [] });
	}
}
