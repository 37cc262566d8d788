// When a console's pipe opens and closes. Opening always makes a new pipe id and sends a signed console-open
// task (with the ssh credential sealed for that agent and pipe); the row is switched to the new pipe by a
// conditional update, so two nodes deciding at once open it only once.
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, consoles } from '../db/schema';
import type { Actor } from '../audit/audit';
import { runtime } from '../runtime';
import { storedOutputSeq } from '../accesslog';
import { queueConsoleTask } from './tasks';
import { sealForAgent } from './vault';
import { roomChanged } from './rooms';
import { consoleState, type RoomInfo } from './state';
import type { SealedSecret } from '../../lib/protocol/consoles';

/** Output the agent keeps until the server confirms it stored it (covers a server restart at full speed). */
const RETAIN_BYTES = 32 * 1024 * 1024;

export type OpenResult = 'opened' | 'offline' | 'busy' | 'failed';

/** Opens a new pipe for the console, replacing `expected` (the pipe the caller saw; null: none). */
export async function openPipe(
	db: Db,
	consoleId: number,
	actor: Actor,
	expected: string | null
): Promise<OpenResult> {
	const [c] = await db
		.select({
			row: consoles,
			certificate: agents.certificate,
			online: sql<boolean>`${agents.connectionId} is not null and ${agents.revokedAt} is null`
		})
		.from(consoles)
		.innerJoin(agents, eq(agents.id, consoles.agentId))
		.where(eq(consoles.id, consoleId));
	if (!c || !c.row.agentId) return 'failed';
	if (!c.online) return 'offline';
	if (c.row.pipeId !== expected) return 'busy';
	const s = consoleState();
	// A new pipe numbers its output from 1; the room goes on from where the last pipe ended.
	const old = expected
		? Math.max(await storedOutputSeq(db, expected), s.pipes.get(expected)?.accepted ?? 0)
		: 0;
	const seqBase = Number(c.row.seqBase) + old;
	const pipeId = randomUUID();
	let secret: SealedSecret | undefined;
	try {
		if (c.row.target.kind === 'ssh' && c.row.credential)
			secret = await sealForAgent(runtime().config, consoleId, c.row.credential, c.certificate, pipeId);
	} catch (e) {
		await setPipeState(db, consoleId, expected, 'failed', (e as Error).message);
		return 'failed';
	}
	const [won] = await db
		.update(consoles)
		.set({ pipeId, seqBase, pipeState: 'connecting', pipeMessage: null, pipeStateAt: new Date() })
		.where(
			and(eq(consoles.id, consoleId), expected ? eq(consoles.pipeId, expected) : isNull(consoles.pipeId))
		)
		.returning({ id: consoles.id });
	if (!won) return 'busy';
	const size = s.sizes.get(consoleId) ?? { cols: 80, rows: 24 };
	try {
		await queueConsoleTask(
			db,
			actor,
			{ agentId: c.row.agentId, deviceId: c.row.deviceId },
			{
				kind: 'console-open',
				args: { consoleId, pipeId, target: c.row.target, secret, ...size, retainBytes: RETAIN_BYTES }
			}
		);
	} catch (e) {
		console.error(`consoles: opening console ${consoleId} failed:`, e);
		await setPipeState(
			db,
			consoleId,
			pipeId,
			'failed',
			'The server could not send the open task; start it again.'
		);
		return 'failed';
	}
	await roomChanged(db, consoleId);
	return 'opened';
}

/** Ends the console's pipe (console-close to its agent); `stoppedBy` keeps it closed until started again. */
export async function closePipe(
	db: Db,
	consoleId: number,
	actor: Actor,
	why: { message: string; stoppedBy?: string }
): Promise<void> {
	const [c] = await db.select().from(consoles).where(eq(consoles.id, consoleId));
	if (!c) return;
	if (c.pipeId && c.agentId && c.pipeState !== 'stopped')
		await queueConsoleTask(
			db,
			actor,
			{ agentId: c.agentId, deviceId: c.deviceId },
			{
				kind: 'console-close',
				args: { pipeId: c.pipeId }
			}
		);
	// The pipe id stays: output the agent still sends for it is stored, and its next hello closes it for good.
	await db
		.update(consoles)
		.set({
			pipeState: 'stopped',
			pipeMessage: why.message,
			pipeStateAt: new Date(),
			...(why.stoppedBy ? { stoppedAt: new Date(), stoppedBy: why.stoppedBy } : {})
		})
		.where(eq(consoles.id, consoleId));
	await roomChanged(db, consoleId);
}

export async function setPipeState(
	db: Db,
	consoleId: number,
	pipeId: string | null,
	state: string,
	message: string | null
): Promise<void> {
	await db
		.update(consoles)
		.set({ pipeState: state, pipeMessage: message, pipeStateAt: new Date() })
		.where(and(eq(consoles.id, consoleId), pipeId ? eq(consoles.pipeId, pipeId) : isNull(consoles.pipeId)));
	await roomChanged(db, consoleId);
}

const REOPEN_ON_JOIN = new Set(['stopped', 'closed', 'failed']);

/** A viewer joined: open the pipe if nobody stopped the console and none is running. */
export async function openForViewer(db: Db, info: RoomInfo, actor: Actor): Promise<void> {
	if (!info.enabled || info.stopped || !info.agentId || !info.agentOnline) return;
	if (info.pipeId && !REOPEN_ON_JOIN.has(info.pipeState)) return;
	await openPipe(db, info.id, actor, info.pipeId);
}
