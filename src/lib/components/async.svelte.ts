// Small state helpers every app uses for talking to the server: loading a thing, running a change, and
// a short success message.
import { TRPCClientError } from '@trpc/client';
import { errorMessage } from '$lib/trpc';

/**
 * One thing fetched from the server. A newer load() wins over an older one still in flight, so a slow
 * response never overwrites fresher data.
 */
export class Loader<T> {
	data: T | undefined = $state();
	error = $state('');
	loading = $state(false);
	#fetch: () => Promise<T>;
	#seq = 0;

	constructor(fetch: () => Promise<T>) {
		this.#fetch = fetch;
	}

	async load(): Promise<void> {
		const seq = ++this.#seq;
		this.loading = true;
		try {
			const data = await this.#fetch();
			if (seq !== this.#seq) return;
			this.data = data;
			this.error = '';
		} catch (e) {
			if (seq === this.#seq) this.error = errorMessage(e);
		} finally {
			if (seq === this.#seq) this.loading = false;
		}
	}
}

/** The tRPC error code of a failed call ('CONFLICT', 'BAD_REQUEST' …), if it has one. */
export function errorCode(e: unknown): string | undefined {
	if (e instanceof TRPCClientError) {
		const code = (e.data as { code?: unknown } | undefined)?.code;
		return typeof code === 'string' ? code : undefined;
	}
	return undefined;
}

/** A mutation in progress: busy while it runs, the server's message (and code) when it fails. */
export class Task {
	busy = $state(false);
	error = $state('');
	code = $state<string | undefined>();

	/** Runs fn; returns true when it succeeded. Never throws. */
	async run(fn: () => Promise<unknown>): Promise<boolean> {
		this.busy = true;
		this.error = '';
		this.code = undefined;
		try {
			await fn();
			return true;
		} catch (e) {
			this.error = errorMessage(e);
			this.code = errorCode(e);
			return false;
		} finally {
			this.busy = false;
		}
	}

	clear(): void {
		this.error = '';
		this.code = undefined;
	}
}

/** A short-lived success message. */
export class Notice {
	text = $state('');
	#timer: ReturnType<typeof setTimeout> | undefined;

	show(text: string): void {
		this.text = text;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => (this.text = ''), 5000);
	}

	clear(): void {
		clearTimeout(this.#timer);
		this.text = '';
	}
}
