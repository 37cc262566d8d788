// The systemd journal: entries have cursors and times but no line numbers, so the view holds a window of
// entries and grows it at either end as the list nears one (older above, newer below and when followed).
import type { LogCursor, LogLine } from '$protocol/logs';
import { errorMessage } from '$lib/trpc';
import type { LineReader } from './api';
import { PAGE, type Row, type RowModel } from './rows';
import type { Goto } from './view';

/** Entries held at most; the far end is dropped past this. */
const MAX_ROWS = 20_000;
const EDGE = 50;
const FOLLOW_WAIT_MS = 5000;
const RETRY_MS = 3000;

export class JournalDoc implements RowModel {
	version = $state(0);
	total = $state(0);
	error = $state('');
	/** Rows inserted above the first one since the last look: the list moves its view down by as many. */
	shifted = $state(0);
	/** Nothing older than the first row. */
	atStart = $state(false);

	#rows: Row[] = [];
	#reader: LineReader;
	#next: LogCursor | null = null;
	#loadingOlder = false;
	#abort = new AbortController();
	#following = false;

	constructor(reader: LineReader) {
		this.#reader = reader;
	}

	row(i: number): Row | undefined {
		return this.#rows[i];
	}

	async open(goto: Goto | null): Promise<number | null> {
		try {
			const from = goto && ('time' in goto || 'cursor' in goto) ? goto : { end: true as const };
			const r = await this.#reader.read(from, PAGE, 0, this.#abort.signal);
			this.#rows = r.lines;
			this.atStart = false;
			if (r.atEnd) this.#next = r.next;
			this.#changed();
			this.error = '';
			if (from !== goto) return Math.max(0, this.total - 1);
			const i = this.#rows.findIndex((l) =>
				'cursor' in goto! ? l.cursor === goto.cursor : 'time' in goto! && (l.time ?? '') >= goto.time
			);
			return i < 0 ? null : i;
		} catch (e) {
			if (!this.#abort.signal.aborted) this.error = errorMessage(e);
			return null;
		}
	}

	need(from: number): void {
		if (from < EDGE && !this.atStart && !this.#loadingOlder && this.#rows[0]?.cursor) void this.#older();
	}

	/**
	 * The journal reads forwards only (from a time or a cursor), so older entries come from a time window
	 * before the first one: widened while it finds nothing, narrowed while it is too full to reach the first.
	 */
	async #fetchOlder(first: Row): Promise<LogLine[]> {
		const t0 = Date.parse(first.time ?? '');
		if (Number.isNaN(t0)) return [];
		let span = 10 * 60_000;
		for (let tries = 0; tries < 8; tries++) {
			const r = await this.#reader.read({ time: isoTime(t0 - span) }, 2 * PAGE, 0, this.#abort.signal);
			const at = r.lines.findIndex((l) => l.cursor === first.cursor);
			if (at > 0) return r.lines.slice(Math.max(0, at - PAGE), at);
			if (at < 0 && r.lines.length >= 2 * PAGE) span /= 4;
			else span *= 16;
		}
		return [];
	}

	async #older(): Promise<void> {
		this.#loadingOlder = true;
		const first = this.#rows[0];
		try {
			const fresh = await this.#fetchOlder(first);
			if (!fresh.length) this.atStart = true;
			this.#rows = [...fresh, ...this.#rows];
			this.shifted += fresh.length;
			if (this.#rows.length > MAX_ROWS) {
				this.#rows.length = MAX_ROWS;
				this.#next = null;
			}
			this.#changed();
		} catch (e) {
			if (!this.#abort.signal.aborted) this.error = errorMessage(e);
		} finally {
			this.#loadingOlder = false;
		}
	}

	async follow(): Promise<void> {
		if (this.#following) return;
		this.#following = true;
		const signal = this.#abort.signal;
		while (!signal.aborted) {
			try {
				if (!this.#next) {
					const r = await this.#reader.read({ end: true }, 1, 0, signal);
					this.#next = r.next;
					const last = this.#rows[this.#rows.length - 1];
					if (last && r.lines[0] && r.lines[0].cursor !== last.cursor) this.#append(r.lines);
				}
				const r = await this.#reader.follow(this.#next, 500, FOLLOW_WAIT_MS, signal);
				this.#next = r.next;
				this.#append(r.lines);
				this.error = '';
			} catch (e) {
				if (signal.aborted) break;
				this.error = errorMessage(e);
				await new Promise((res) => setTimeout(res, RETRY_MS));
			}
		}
		this.#following = false;
	}

	#append(lines: LogLine[]): void {
		if (!lines.length) return;
		this.#rows.push(...lines);
		const over = this.#rows.length - MAX_ROWS;
		if (over > 0) {
			this.#rows.splice(0, over);
			this.shifted -= over;
			this.atStart = false;
		}
		this.#changed();
	}

	#changed(): void {
		this.total = this.#rows.length;
		this.version++;
	}

	slice(from = 0, to = this.#rows.length): Row[] {
		return this.#rows.slice(from, to);
	}

	close(): void {
		this.#abort.abort();
	}
}

function isoTime(ms: number): string {
	return new Date(ms).toISOString();
}
