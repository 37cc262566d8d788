// A file (or an access log) addressed by line number: only the pages around the view are held, fetched as the
// view moves. While the agent is still counting the lines of a big file, the rows past its count are placed
// by byte offset (an estimate), so the scrollbar stands for the whole file from the first moment.
import type { LogCursor, LogIndexState, LogLine, LogReadResult } from '$protocol/logs';
import { errorMessage } from '$lib/trpc';
import type { LineReader } from './api';
import { PAGE, type Row, type RowModel } from './rows';
import type { Goto } from './view';

/** Pages kept in memory (×200 lines): the view and a few screens either side. */
const MAX_PAGES = 24;
const FOLLOW_WAIT_MS = 5000;
const RETRY_MS = 3000;

export class LineDoc implements RowModel {
	index = $state<LogIndexState | null>(null);
	version = $state(0);
	error = $state('');
	/** The file was replaced or truncated while followed (the view starts again at its new end). */
	rotations = $state(0);
	/** Lines after the last one the index counted (followed, or read at the end before counting finished). */
	#tail = $state(0);

	#reader: LineReader;
	// Plain collections on purpose: `version` tells the list when to read them again, so a page of 200 lines
	// costs one signal rather than 200.
	/* eslint-disable svelte/prefer-svelte-reactivity */
	#pages = new Map<number, (Row | undefined)[]>();
	#approx = new Set<number>();
	#inflight = new Set<number>();
	/* eslint-enable svelte/prefer-svelte-reactivity */
	#next: LogCursor | null = null;
	#abort = new AbortController();
	#following = false;

	constructor(reader: LineReader) {
		this.#reader = reader;
	}

	readonly total = $derived.by(() => {
		const ix = this.index;
		if (!ix) return this.#tail;
		if (ix.complete || ix.indexedBytes <= 0 || ix.indexedBytes >= ix.size) return ix.lines + this.#tail;
		return Math.max(ix.lines + this.#tail, Math.round((ix.lines * ix.size) / ix.indexedBytes));
	});

	/** Lines are numbered exactly (the count is complete). */
	readonly exact = $derived(this.index?.complete ?? false);

	row(i: number): Row | undefined {
		const p = this.#pages.get(Math.floor(i / PAGE));
		return p?.[i % PAGE];
	}

	/** Opens at `goto` (or the end); resolves to the row to show, or null when the position was not found. */
	async open(goto: Goto | null): Promise<number | null> {
		try {
			const r = await this.#reader.read(
				goto === null ? { end: true } : 'line' in goto ? { line: goto.line } : goto,
				PAGE,
				goto === null ? 0 : Math.floor(PAGE / 2),
				this.#abort.signal
			);
			this.error = '';
			this.#take(r);
			if (goto === null || r.atEnd) this.#next = r.next;
			const target = this.#targetRow(r, goto);
			return target;
		} catch (e) {
			if (!this.#abort.signal.aborted) this.error = errorMessage(e);
			return null;
		}
	}

	/** The row holding what `goto` named: the line itself, the line holding the offset, the first at the time. */
	#targetRow(r: LogReadResult, goto: Goto | null): number | null {
		if (goto === null) return Math.max(0, this.total - 1);
		let line: LogLine | undefined;
		if ('line' in goto) line = r.lines.find((l) => l.n === goto.line);
		else if ('offset' in goto)
			line = r.lines.findLast((l) => l.offset !== null && l.offset <= goto.offset) ?? r.lines[0];
		else if ('time' in goto) line = r.lines.find((l) => l.time !== undefined && l.time >= goto.time);
		line ??= r.lines[Math.min(r.lines.length - 1, Math.floor(PAGE / 2))];
		return line?.n ? line.n - 1 : null;
	}

	need(from: number, to: number): void {
		const first = Math.floor(Math.max(0, from) / PAGE);
		const last = Math.floor(Math.max(0, Math.min(this.total, to) - 1) / PAGE);
		for (let p = first; p <= last; p++) {
			const page = this.#pages.get(p);
			if (page) {
				// Most recently used last: eviction takes from the front.
				this.#pages.delete(p);
				this.#pages.set(p, page);
			}
			const end = Math.min(PAGE, this.total - p * PAGE);
			let missing = !page;
			for (let k = 0; !missing && k < end; k++) missing = page![k] === undefined;
			if (missing && !this.#inflight.has(p)) void this.#fetch(p);
		}
	}

	async #fetch(p: number): Promise<void> {
		this.#inflight.add(p);
		const firstRow = p * PAGE;
		const ix = this.index;
		const counted = ix ? ix.lines : Infinity;
		try {
			let r: LogReadResult;
			if (firstRow < counted || !ix) {
				r = await this.#reader.read({ line: firstRow + 1 }, PAGE, 0, this.#abort.signal);
				this.#take(r);
			} else {
				// Past what the agent has counted: guess the byte offset from the share of rows.
				const share = (firstRow - ix.lines) / Math.max(1, this.total - ix.lines);
				const offset = Math.floor(ix.indexedBytes + share * (ix.size - ix.indexedBytes));
				r = await this.#reader.read({ offset }, PAGE, 0, this.#abort.signal);
				this.#placeAt(firstRow, r.lines);
				this.#approx.add(p);
				this.#setIndex(r.index);
			}
			this.error = '';
		} catch (e) {
			if (this.#abort.signal.aborted) return;
			this.error = errorMessage(e);
			// Let the list ask again (it asks whenever `version` moves).
			setTimeout(() => {
				this.#inflight.delete(p);
				this.version++;
			}, RETRY_MS);
			return;
		}
		this.#inflight.delete(p);
	}

	/** Stores lines that carry their numbers. */
	#take(r: { lines: LogLine[]; index: LogIndexState | null }): void {
		this.#setIndex(r.index);
		let firstUnknown = -1;
		for (const l of r.lines) {
			if (l.n !== null) this.#put(l.n - 1, l);
			else if (firstUnknown < 0) firstUnknown = r.lines.indexOf(l);
		}
		// Read at the end before counting finished: the lines sit at the end of the estimate.
		const renumber: number[] = [];
		if (firstUnknown >= 0) {
			const unknown = r.lines.slice(firstUnknown);
			const first = Math.max(0, this.total - unknown.length);
			this.#placeAt(first, unknown);
			// Placed by estimate: read again by number once the count gets there. The agent may have finished
			// counting while it read them (the index it sends is taken after the lines): then the count will not
			// move again to say so, and they are read by number now.
			for (let p = Math.floor(first / PAGE); p <= Math.floor((first + unknown.length - 1) / PAGE); p++)
				if (this.index?.complete) renumber.push(p);
				else this.#approx.add(p);
		}
		this.#evict();
		this.version++;
		for (const p of renumber) if (!this.#inflight.has(p)) void this.#fetch(p);
	}

	#placeAt(firstRow: number, lines: LogLine[]): void {
		lines.forEach((l, k) => this.#put(firstRow + k, l));
		this.#evict();
		this.version++;
	}

	#put(row: number, line: LogLine): void {
		const p = Math.floor(row / PAGE);
		let page = this.#pages.get(p);
		if (!page) this.#pages.set(p, (page = new Array<Row | undefined>(PAGE)));
		page[row % PAGE] = line;
	}

	#setIndex(ix: LogIndexState | null): void {
		if (!ix) return;
		const old = this.index;
		this.index = ix;
		if (old && (ix.lines !== old.lines || ix.complete !== old.complete) && this.#approx.size) {
			// The count moved past guessed pages: fetch them again by number.
			for (const p of this.#approx) this.#pages.delete(p);
			this.#approx.clear();
			this.version++;
		}
		if (ix.lines >= (old?.lines ?? 0)) this.#tail = Math.max(0, this.#tail - (ix.lines - (old?.lines ?? 0)));
	}

	#evict(): void {
		while (this.#pages.size > MAX_PAGES) {
			const oldest = this.#pages.keys().next().value as number;
			this.#pages.delete(oldest);
			this.#approx.delete(oldest);
		}
	}

	/** Lines in [from, to) (0-based rows), fetched as needed: export and print of a selection. */
	async lines(from: number, to: number, cap: number): Promise<Row[]> {
		const out: Row[] = [];
		for (let at = from; at < to && out.length < cap;) {
			const count = Math.min(2000, to - at, cap - out.length);
			const r = await this.#reader.read({ line: at + 1 }, count, 0, this.#abort.signal);
			if (!r.lines.length) break;
			out.push(...r.lines);
			at += r.lines.length;
			if (r.atEnd) break;
		}
		return out;
	}

	/** Keeps reading what is appended (tail -f) until close(). */
	async follow(): Promise<void> {
		if (this.#following) return;
		this.#following = true;
		const signal = this.#abort.signal;
		while (!signal.aborted) {
			try {
				if (!this.#next) {
					const end = await this.#reader.read({ end: true }, 1, 0, signal);
					this.#take(end);
					this.#next = end.next;
				}
				// While the agent is still counting lines, come back sooner with its progress.
				const wait = this.index && !this.index.complete ? 1000 : FOLLOW_WAIT_MS;
				const r = await this.#reader.follow(this.#next, 500, wait, signal);
				if (r.rotated) this.#reset();
				this.#next = r.next;
				this.#append(r.lines, r.index);
				this.error = '';
				if (!r.more && !r.lines.length) continue;
			} catch (e) {
				if (signal.aborted) break;
				this.error = errorMessage(e);
				await new Promise((res) => setTimeout(res, RETRY_MS));
			}
		}
		this.#following = false;
	}

	#append(lines: LogLine[], ix: LogIndexState | null): void {
		this.#setIndex(ix);
		if (!lines.length) return;
		const known = lines.every((l) => l.n !== null);
		if (known) {
			for (const l of lines) this.#put(l.n! - 1, l);
			const last = lines[lines.length - 1].n!;
			if (this.index && last > this.index.lines) this.#tail = last - this.index.lines;
			else if (!this.index) this.#tail = Math.max(this.#tail, last);
		} else {
			const first = this.total;
			this.#tail += lines.length;
			lines.forEach((l, k) => this.#put(first + k, l));
		}
		this.#evict();
		this.version++;
	}

	#reset(): void {
		this.#pages.clear();
		this.#approx.clear();
		this.#inflight.clear();
		this.index = null;
		this.#tail = 0;
		this.rotations++;
		this.version++;
	}

	close(): void {
		this.#abort.abort();
	}
}
