// A filtered view: the agent scans the source for lines that match every include pattern and no exclude
// pattern, and sends the hits with their context lines. Rows arrive in file order while the scan runs; the
// scan keeps going at the end of the file for lines appended later (the filtered tail -f).
import type { LogCursor, LogFilterInput, LogIndexState } from '$protocol/logs';
import { errorMessage } from '$lib/trpc';
import type { LineReader } from './api';
import type { Row, RowModel } from './rows';

/** Rows (hits and context) kept at most; past this the scan stops and asks for a narrower filter. */
export const MAX_FILTER_ROWS = 100_000;
const BATCH = 2000;
const LIVE_POLL_MS = 2000;
const RETRY_MS = 3000;

export class FilterDoc implements RowModel {
	version = $state(0);
	total = $state(0);
	hits = $state(0);
	/** The scan has reached the end of the source (it goes on watching for appended lines). */
	done = $state(false);
	/** Too many rows: the scan stopped before the end. */
	capped = $state(false);
	scannedTo = $state(0);
	index = $state<LogIndexState | null>(null);
	error = $state('');

	#rows: Row[] = [];
	#reader: LineReader;
	#filter: LogFilterInput;
	#context: boolean;
	#abort = new AbortController();

	constructor(reader: LineReader, filter: LogFilterInput) {
		this.#reader = reader;
		this.#filter = filter;
		this.#context = (filter.before ?? 0) > 0 || (filter.after ?? 0) > 0;
	}

	row(i: number): Row | undefined {
		return this.#rows[i];
	}

	need(): void {
		// Everything found is held; nothing to fetch on scrolling.
	}

	/** Share of the source scanned, 0–1 (1 when the size is unknown). */
	readonly progress = $derived.by(() => {
		if (this.done || !this.index) return this.done ? 1 : 0;
		// Files scan bytes; access logs (no byte size here) scan lines.
		const of = this.index.size > 0 ? this.index.size : this.index.lines;
		return of > 0 ? Math.min(1, this.scannedTo / of) : 0;
	});

	/** Runs the scan, then keeps polling for appended lines, until close(). */
	async run(): Promise<void> {
		const signal = this.#abort.signal;
		let from: LogCursor | null = null;
		while (!signal.aborted && !this.capped) {
			try {
				const r = await this.#reader.filter(this.#filter, from, BATCH, signal);
				this.#push(r.rows);
				this.hits += r.hits;
				this.scannedTo = r.scannedTo;
				if (r.index) this.index = r.index;
				this.error = '';
				if (r.next) from = r.next;
				if (r.done) {
					this.done = true;
					await sleep(LIVE_POLL_MS, signal);
				}
			} catch (e) {
				if (signal.aborted) break;
				this.error = errorMessage(e);
				await sleep(RETRY_MS, signal);
			}
		}
	}

	#push(rows: Row[]): void {
		if (!rows.length) return;
		let prev = this.#rows[this.#rows.length - 1];
		for (const r of rows) {
			// A line sent twice (context overlapping across two answers) is shown once.
			if (prev && r.n !== null && prev.n !== null && r.n <= prev.n) continue;
			const gap = this.#context && !!prev && (r.n === null || prev.n === null || r.n !== prev.n + 1);
			const row: Row = gap ? { ...r, gap } : r;
			this.#rows.push(row);
			prev = row;
			if (this.#rows.length >= MAX_FILTER_ROWS) {
				this.capped = true;
				break;
			}
		}
		this.total = this.#rows.length;
		this.version++;
	}

	/** The next (dir 1) or previous (dir -1) hit after row `from`; null when there is none. */
	nextHit(from: number, dir: 1 | -1): number | null {
		for (let i = from + dir; i >= 0 && i < this.#rows.length; i += dir) if (this.#rows[i].hit) return i;
		return null;
	}

	/** The row of line `n`, or of the first line after it. */
	rowOfLine(n: number): number {
		let lo = 0;
		let hi = this.#rows.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if ((this.#rows[mid].n ?? Infinity) < n) lo = mid + 1;
			else hi = mid;
		}
		return Math.min(lo, Math.max(0, this.#rows.length - 1));
	}

	slice(from = 0, to = this.#rows.length): Row[] {
		return this.#rows.slice(from, to);
	}

	close(): void {
		this.#abort.abort();
	}
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const t = setTimeout(resolve, ms);
		signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
	});
}
