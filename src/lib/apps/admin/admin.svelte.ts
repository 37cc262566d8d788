import { errorMessage } from '$lib/trpc';

/**
 * One list fetched from the server. A newer load() wins over an older one still in flight, so a slow
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

/** A mutation in progress: busy while it runs, the server's message when it fails. */
export class Task {
	busy = $state(false);
	error = $state('');

	/** Runs fn; returns true when it succeeded. Never throws. */
	async run(fn: () => Promise<unknown>): Promise<boolean> {
		this.busy = true;
		this.error = '';
		try {
			await fn();
			return true;
		} catch (e) {
			this.error = errorMessage(e);
			return false;
		} finally {
			this.busy = false;
		}
	}
}

/** A short-lived success message shown above a tab's content. */
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

/** A random password an administrator can hand over (no look-alike characters). */
export function generatePassword(length = 16): string {
	const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
	const bytes = crypto.getRandomValues(new Uint8Array(length));
	return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
