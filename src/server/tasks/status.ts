// `task-status` reports: the agent's word on a task it received. Applied inside the report's exactly-once
// transaction; a task only moves forward (queued → running → final), and only the agent it was addressed to
// can move it.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { tasks } from '../db/schema';
import { registerReportHandler } from '../agents/reports';
import { TASK_REFUSAL_LABELS, type TaskStatus } from '../../lib/protocol/tasks';
import { emitTaskUpdate } from './events';

/** Live output kept while a task runs; the final report carries the task's own capped output. */
const MAX_PROGRESS_CHARS = 256 * 1024;

registerReportHandler('task-status', async (ctx, status: TaskStatus) => {
	if (status.taskId === null) return; // refused before it could be named: on record as the agent's event
	const mine = and(eq(tasks.id, status.taskId), eq(tasks.agentId, ctx.agentId));
	const base = { id: status.taskId, agentId: ctx.agentId };

	if (status.state === 'queued') return;

	if (status.state === 'running') {
		const delta = (status.stdoutDelta ?? '') + (status.stderrDelta ?? '');
		const [row] = await ctx.db
			.update(tasks)
			.set({
				state: 'running',
				startedAt: sql`coalesce(${tasks.startedAt}, ${new Date(status.startedAt)})`,
				deliveredAt: sql`coalesce(${tasks.deliveredAt}, now())`,
				signed: null,
				...(delta ? { progress: sql`right(${tasks.progress} || ${delta}, ${MAX_PROGRESS_CHARS})` } : {})
			})
			.where(and(mine, inArray(tasks.state, ['queued', 'running'])))
			.returning({ deviceId: tasks.deviceId, kind: tasks.kind });
		if (row)
			ctx.afterCommit(() =>
				emitTaskUpdate({
					...base,
					...row,
					state: 'running',
					...(status.stdoutDelta ? { stdoutDelta: status.stdoutDelta } : {}),
					...(status.stderrDelta ? { stderrDelta: status.stderrDelta } : {})
				})
			);
		return;
	}

	if (status.state === 'refused') {
		// A task sent again after its acknowledgement was lost: the agent has it already, and says so.
		if (status.reason === 'replayed') return;
		const error = `${TASK_REFUSAL_LABELS[status.reason]}${status.message ? ` (${status.message})` : ''}`;
		const [row] = await ctx.db
			.update(tasks)
			.set({
				state: 'refused',
				refusalReason: status.reason,
				error,
				finishedAt: new Date(status.at),
				signed: null
			})
			.where(and(mine, eq(tasks.state, 'queued')))
			.returning({ deviceId: tasks.deviceId, kind: tasks.kind });
		if (row) ctx.afterCommit(() => emitTaskUpdate({ ...base, ...row, state: 'refused', error }));
		return;
	}

	const finishedAt = new Date(status.finishedAt);
	const [row] = await ctx.db
		.update(tasks)
		.set({
			state: status.state,
			startedAt: new Date(status.startedAt),
			finishedAt,
			durationMs: status.durationMs,
			exitCode: status.exitCode ?? null,
			signal: status.signal ?? null,
			stdout: status.stdout ?? null,
			stderr: status.stderr ?? null,
			result: status.result === undefined ? null : status.result,
			error: status.error ?? null,
			progress: '',
			signed: null
		})
		.where(and(mine, inArray(tasks.state, ['queued', 'running'])))
		.returning({ deviceId: tasks.deviceId, kind: tasks.kind });
	if (row)
		ctx.afterCommit(() =>
			emitTaskUpdate({
				...base,
				...row,
				state: status.state,
				error: status.error ?? null,
				finishedAt: finishedAt.toISOString()
			})
		);
});
