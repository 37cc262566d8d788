import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
	FinishedTaskStatus,
	JsonValue,
	RefusedTaskStatus,
	TaskEnvelope,
	TaskStatus
} from '../../../src/lib/protocol/tasks';
import { collectShow, type CollectOptions } from '../show/collect';
import { runExec } from './exec';
import type { ReplayStore } from './replay-store';
import { verifyTask, type VerifiedTask } from './verify';

/** What a handler for a task kind gets: the verified envelope and a stop signal. */
export interface TaskHandlerContext {
	envelope: TaskEnvelope;
	signal: AbortSignal;
}

/** Handlers for kinds the runner does not run itself (inventory), or to replace a built-in one. */
export type TaskHandler = (args: unknown, ctx: TaskHandlerContext) => Promise<{ result?: JsonValue }>;

export interface RunTaskContext {
	/** This agent's id, from its certificate. */
	agentId: string;
	/** The server's task-signing key pinned at enrolment. */
	publicKey: KeyObject;
	/** Kinds this host's config allows (allowListSchema; default inventory and show). */
	allow: readonly string[];
	replayStore: ReplayStore;
	/** Every status report for the server: running (and live output), then the final one. */
	onStatus(status: TaskStatus): void;
	handlers?: Partial<Record<string, TaskHandler>>;
	/** Aborting stops a running task (agent shutting down). */
	signal?: AbortSignal;
	/** exec: SIGTERM → SIGKILL grace (default 5 s); progress interval (default 500 ms). */
	killGraceMs?: number;
	progressIntervalMs?: number;
	/** show: sampling options. */
	show?: CollectOptions;
	/** For tests: the clock used for the envelope checks. */
	now?: () => number;
}

/**
 * Verify a signed task and, if it passes, run it. Reports every state through onStatus and returns
 * the final status (refused, succeeded, failed or timed-out). Never throws.
 */
export async function runTask(
	signed: unknown,
	ctx: RunTaskContext
): Promise<RefusedTaskStatus | FinishedTaskStatus> {
	const verdict = verifyTask(signed, {
		agentId: ctx.agentId,
		publicKey: ctx.publicKey,
		allow: ctx.allow,
		replayStore: ctx.replayStore,
		now: ctx.now?.()
	});
	if (!verdict.ok) {
		report(ctx, verdict.refusal);
		return verdict.refusal;
	}
	const task = verdict.task;
	const taskId = task.envelope.id;
	const startedAt = Date.now();
	const t0 = performance.now();
	report(ctx, { taskId, state: 'running', startedAt });

	let final: FinishedTaskStatus;
	try {
		final = await dispatch(task, ctx, startedAt);
	} catch (err) {
		final = {
			taskId,
			state: 'failed',
			startedAt,
			finishedAt: Date.now(),
			durationMs: Math.round(performance.now() - t0),
			error: err instanceof Error ? err.message : String(err)
		};
	}
	report(ctx, final);
	return final;
}

async function dispatch(
	task: VerifiedTask,
	ctx: RunTaskContext,
	startedAt: number
): Promise<FinishedTaskStatus> {
	const taskId = task.envelope.id;
	const t0 = performance.now();
	const handler = ctx.handlers?.[task.kind];
	const finished = (
		rest: Partial<FinishedTaskStatus> & Pick<FinishedTaskStatus, 'state'>
	): FinishedTaskStatus => ({
		taskId,
		startedAt,
		finishedAt: Date.now(),
		durationMs: Math.round(performance.now() - t0),
		...rest
	});
	const signal = ctx.signal ?? new AbortController().signal;

	if (handler) {
		const { result } = await handler(task.args, { envelope: task.envelope, signal });
		return finished({ state: 'succeeded', result });
	}
	switch (task.kind) {
		case 'show':
			return finished({ state: 'succeeded', result: await collectShow(task.args, ctx.show) });
		case 'exec': {
			const outcome = await runExec(task.args, {
				signal,
				killGraceMs: ctx.killGraceMs,
				progressIntervalMs: ctx.progressIntervalMs,
				onProgress: ({ stdout, stderr }) =>
					report(ctx, {
						taskId,
						state: 'running',
						startedAt,
						...(stdout ? { stdoutDelta: stdout } : {}),
						...(stderr ? { stderrDelta: stderr } : {})
					})
			});
			return finished({
				state: outcome.state,
				durationMs: Math.round(outcome.durationMs),
				exitCode: outcome.exitCode,
				signal: outcome.signal,
				stdout: outcome.stdout,
				stderr: outcome.stderr,
				...(outcome.error ? { error: outcome.error } : {})
			});
		}
		default:
			return finished({ state: 'failed', error: `This agent has no handler for ${task.kind} tasks yet.` });
	}
}

function report(ctx: RunTaskContext, status: TaskStatus) {
	try {
		ctx.onStatus(status);
	} catch {
		// The link decides what to do with reports; its failure must not stop the task.
	}
}
