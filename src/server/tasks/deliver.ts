// Delivering queued tasks over an agent's link, and giving up on tasks that can no longer finish. Runs on the
// node that holds the link: when a task is started (told through the agent link bus) and at every hello.
import { and, asc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { tasks } from '../db/schema';
import type { SignedTask } from '../../lib/protocol/tasks';
import type { TaskDeliveryAck } from '../../lib/protocol/agent';
import { emitTaskUpdate } from './events';

const ACK_TIMEOUT_MS = 15_000;
const BATCH = 100;

/** The part of an agent's socket delivery needs. */
export interface TaskSocket {
	readonly connected: boolean;
	timeout(ms: number): { emitWithAck(event: 'task', t: SignedTask): Promise<TaskDeliveryAck> };
}

const busy = new WeakMap<TaskSocket, { again: boolean }>();

/**
 * Sends the agent's undelivered, unexpired tasks, oldest first, one at a time. A task whose acknowledgement
 * is lost stays undelivered and is sent again next time; the agent then refuses it as a replay, which the
 * status handler ignores (the agent already has it). Calls made while one runs make it go round again.
 */
export async function deliverQueued(db: Db, agentId: string, socket: TaskSocket): Promise<void> {
	const running = busy.get(socket);
	if (running) {
		running.again = true;
		return;
	}
	const state = { again: true };
	busy.set(socket, state);
	try {
		while (state.again && socket.connected) {
			state.again = false;
			const rows = await db
				.select({ id: tasks.id, signed: tasks.signed })
				.from(tasks)
				.where(
					and(
						eq(tasks.agentId, agentId),
						eq(tasks.state, 'queued'),
						isNull(tasks.deliveredAt),
						gt(tasks.expiresAt, new Date())
					)
				)
				.orderBy(asc(tasks.createdAt))
				.limit(BATCH);
			for (const r of rows) {
				if (!r.signed || !socket.connected) continue;
				try {
					await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('task', r.signed as SignedTask);
				} catch {
					return; // no acknowledgement: the link is in trouble; the next hello sends it again
				}
				await db.update(tasks).set({ deliveredAt: new Date() }).where(eq(tasks.id, r.id));
			}
			if (rows.length === BATCH) state.again = true;
		}
	} finally {
		busy.delete(socket);
	}
}

/** Grace after a running task's own timeout before the server stops waiting for its result. */
const RESULT_GRACE_MS = 10 * 60_000;
/** What a task without its own timeout (show, inventory) may take. */
const DEFAULT_RUN_MS = 10 * 60_000;

/**
 * Ends tasks that cannot finish any more: never delivered before the envelope expired (the agent stayed
 * offline), or delivered but silent long past their timeout (the agent restarted mid-task). Idempotent, so
 * every node may run it.
 */
export async function sweepTasks(db: Db): Promise<number> {
	const now = new Date();
	const expired = await db
		.update(tasks)
		.set({
			state: 'timed-out',
			finishedAt: now,
			signed: null,
			error: 'The agent was not online to receive the task before it expired; start it again.'
		})
		.where(and(eq(tasks.state, 'queued'), isNull(tasks.deliveredAt), lt(tasks.expiresAt, now)))
		.returning({ id: tasks.id, agentId: tasks.agentId, deviceId: tasks.deviceId, kind: tasks.kind });
	const limitMs = sql`(coalesce((${tasks.args}->>'timeoutMs')::numeric, ${DEFAULT_RUN_MS}) + ${RESULT_GRACE_MS}) / 1000.0`;
	const silent = await db
		.update(tasks)
		.set({
			state: 'failed',
			finishedAt: now,
			signed: null,
			error: 'The agent stopped reporting on this task (it may have restarted while the task ran).'
		})
		.where(
			and(
				inArray(tasks.state, ['queued', 'running']),
				sql`coalesce(${tasks.startedAt}, ${tasks.deliveredAt}, ${tasks.expiresAt}) + make_interval(secs => ${limitMs}) < now()`
			)
		)
		.returning({ id: tasks.id, agentId: tasks.agentId, deviceId: tasks.deviceId, kind: tasks.kind });
	for (const r of expired)
		emitTaskUpdate({ ...r, state: 'timed-out', error: 'not delivered before it expired' });
	for (const r of silent) emitTaskUpdate({ ...r, state: 'failed', error: 'no result from the agent' });
	return expired.length + silent.length;
}
