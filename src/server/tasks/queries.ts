// Reading tasks back: the history of a device (or all devices), and one task with its output.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { devices, tasks } from '../db/schema';
import { UserError } from '../errors';

const summary = {
	id: tasks.id,
	agentId: tasks.agentId,
	deviceId: tasks.deviceId,
	deviceName: devices.name,
	kind: tasks.kind,
	args: tasks.args,
	state: tasks.state,
	createdBy: tasks.createdBy,
	createdAt: tasks.createdAt,
	expiresAt: tasks.expiresAt,
	deliveredAt: tasks.deliveredAt,
	startedAt: tasks.startedAt,
	finishedAt: tasks.finishedAt,
	exitCode: tasks.exitCode,
	durationMs: tasks.durationMs,
	error: tasks.error,
	refusalReason: tasks.refusalReason
};

export interface ListTasksInput {
	deviceId?: number;
	/** Only the tasks this user started. */
	createdBy?: string;
	/** Tasks created before this one (paging, newest first). */
	before?: Date;
	limit: number;
}

export async function listTasks(db: Db, input: ListTasksInput) {
	const where: SQL[] = [];
	if (input.deviceId !== undefined) where.push(eq(tasks.deviceId, input.deviceId));
	if (input.createdBy !== undefined) where.push(eq(tasks.createdBy, input.createdBy));
	if (input.before) where.push(lt(tasks.createdAt, input.before));
	return db
		.select(summary)
		.from(tasks)
		.leftJoin(devices, eq(devices.id, tasks.deviceId))
		.where(where.length ? and(...where) : undefined)
		.orderBy(desc(tasks.createdAt))
		.limit(input.limit);
}
export type TaskSummary = Awaited<ReturnType<typeof listTasks>>[number];

export async function getTask(db: Db, id: string) {
	const [t] = /^[0-9a-f-]{36}$/i.test(id)
		? await db
				.select({
					...summary,
					signal: tasks.signal,
					progress: tasks.progress,
					stdout: tasks.stdout,
					stderr: tasks.stderr,
					result: tasks.result
				})
				.from(tasks)
				.leftJoin(devices, eq(devices.id, tasks.deviceId))
				.where(eq(tasks.id, id))
		: [];
	if (!t) throw new UserError(`There is no task ${id}.`, 'NOT_FOUND');
	return t;
}
export type TaskDetail = Awaited<ReturnType<typeof getTask>>;
