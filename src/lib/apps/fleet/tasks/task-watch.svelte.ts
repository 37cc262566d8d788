import { trpc, errorMessage } from '$lib/trpc';
import { FINAL_TASK_STATES, type TaskState } from '$protocol/tasks';
import type { TaskUpdateEvent } from '$protocol/agent';
import { fleet } from '../fleet.svelte';
import type { TaskDetail } from '../types';

/** The largest live output kept in the browser while a task runs; the final output comes from the server. */
const MAX_LIVE_CHARS = 256 * 1024;

export function isFinal(state: string): boolean {
	return (FINAL_TASK_STATES as readonly string[]).includes(state);
}

/**
 * One task as it runs: loaded from the server, moved forward by live `task:update` events (with output as it
 * comes), and loaded again once it ends for the whole output and result. While the live connection is down
 * it asks the server every few seconds instead.
 */
export class TaskWatch {
	task = $state<TaskDetail | null>(null);
	/** The state as last heard, live or loaded. */
	state = $state<TaskState>('queued');
	/** Output received live while running (stdout and stderr as they arrived). */
	live = $state('');
	error = $state('');
	readonly id: string;
	#stop: (() => void) | null = null;
	#poll: ReturnType<typeof setInterval> | undefined;
	#seq = 0;
	#retries = 0;
	#retry: ReturnType<typeof setTimeout> | undefined;

	constructor(id: string) {
		this.id = id;
	}

	get final(): boolean {
		return isFinal(this.state);
	}

	start(): () => void {
		this.#stop = fleet.onTaskUpdate((e) => this.#onUpdate(e));
		void this.load();
		this.#poll = setInterval(() => {
			if (!this.final && !fleet.live) void this.load();
		}, 3000);
		return () => this.stop();
	}

	stop(): void {
		this.#stop?.();
		this.#stop = null;
		clearInterval(this.#poll);
		clearTimeout(this.#retry);
	}

	async load(): Promise<void> {
		const seq = ++this.#seq;
		try {
			const t = await trpc.tasks.get.query({ id: this.id });
			if (seq !== this.#seq) return;
			this.task = t;
			// A live event may be ahead of what the server returned a moment ago; never go back.
			if (!this.final || isFinal(t.state)) this.state = t.state as TaskState;
			if (t.state === 'running' && t.progress.length > this.live.length) this.live = t.progress;
			this.error = '';
			if (this.final) clearInterval(this.#poll);
			// The event can come before the server's transaction is visible: ask again shortly.
			if (this.final && !isFinal(t.state) && this.#retries++ < 20)
				this.#retry = setTimeout(() => void this.load(), 500);
		} catch (e) {
			if (seq === this.#seq) this.error = errorMessage(e);
		}
	}

	#onUpdate(e: TaskUpdateEvent): void {
		if (e.id !== this.id) return;
		if (this.final) return;
		this.state = e.state;
		const delta = (e.stdoutDelta ?? '') + (e.stderrDelta ?? '');
		if (delta) this.live = (this.live + delta).slice(-MAX_LIVE_CHARS);
		// The final output and result, or (once) when it started.
		if (isFinal(e.state) || (e.state === 'running' && this.task?.state === 'queued')) void this.load();
	}
}
