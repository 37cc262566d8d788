// One page of a filtered view: a line is a hit when it matches every include pattern and no exclude pattern;
// hits come with N lines of context before and after, each row once, in order. Shared by files and journal.
import { compileRegex } from '../../../../src/lib/logs/regex';
import type { LogFilter, LogFilterRow, LogLine } from '../../../../src/lib/protocol/logs';

/** Text returned per answer, well under the link's message limit. */
export const MAX_ANSWER_CHARS = 600_000;

export class FilterRun {
	readonly rows: LogFilterRow[] = [];
	hits = 0;
	private chars = 0;
	private ring: LogLine[] = [];
	private afterLeft = 0;
	private readonly include: RegExp[];
	private readonly exclude: RegExp[];

	constructor(
		private readonly f: LogFilter,
		private readonly limit: number
	) {
		const flags = f.ignoreCase ? 'i' : '';
		this.include = f.include.map((p) => compileRegex(p, flags));
		this.exclude = f.exclude.map((p) => compileRegex(p, flags));
	}

	/** Lines just before where this page starts, not shown on the previous page: context for a first hit. */
	prefill(lines: LogLine[]): void {
		this.ring = lines.slice(-this.f.before);
	}

	/** Takes the next line; false once the page is full and the last hit has its context. */
	push(l: LogLine): boolean {
		const hit = this.include.every((r) => r.test(l.text)) && !this.exclude.some((r) => r.test(l.text));
		if (hit) {
			for (const r of this.ring) this.emit(r, false);
			this.ring = [];
			this.emit(l, true);
			this.hits++;
			this.afterLeft = this.f.after;
		} else if (this.afterLeft > 0) {
			this.emit(l, false);
			this.afterLeft--;
		} else if (this.f.before > 0) {
			this.ring.push(l);
			if (this.ring.length > this.f.before) this.ring.shift();
		}
		return !(this.full && this.afterLeft === 0);
	}

	get full(): boolean {
		return this.rows.length >= this.limit || this.chars >= MAX_ANSWER_CHARS;
	}

	/** A hit still waits for lines of its after-context (a page never ends there). */
	get pendingContext(): boolean {
		return this.afterLeft > 0;
	}

	private emit(l: LogLine, hit: boolean): void {
		this.rows.push({ ...l, hit });
		this.chars += l.text.length + 60;
	}
}
