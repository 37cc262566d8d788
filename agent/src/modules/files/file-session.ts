// A read session on one file: its handle, its line index (built in the background, 4 MiB at a time, yielding
// between reads), and the operations the server sends: read a range, follow, filter, stat. The file is checked
// again on every operation: a rotated or truncated file is reopened (through the allow list again).
import fs, { type FileHandle } from 'node:fs/promises';
import type {
	LogCursor,
	LogFilter,
	LogFilterResult,
	LogFollowResult,
	LogIndexState,
	LogLine,
	LogPosition,
	LogReadResult
} from '../../../../src/lib/protocol/logs';
import { FilterRun, MAX_ANSWER_CHARS } from './filter';
import { LineIndex } from './line-index';
import { lineStartAt, scanForward, startOfLastLines, countNewlines, skipLines, type RawLine } from './scan';
import { findTime } from './find-time';

const INDEX_CHUNK = 4 * 1024 * 1024;
/** How long a read waits for the index to reach the line it asks for. */
const INDEX_WAIT_MS = 5_000;
const FILTER_BUDGET_MS = 500;
/** An unterminated last line is shown once the file has not changed for this long (it is not being written). */
const SETTLED_MS = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FileSession {
	private fh: FileHandle | null = null;
	private id = '';
	readonly index = new LineIndex();
	private indexing: Promise<void> | null = null;
	private closed = false;
	size = 0;
	private mtime: Date | null = null;

	/** `reopen` resolves the path through the allow list again and gives the real path to open. */
	constructor(private readonly reopen: () => Promise<string>) {}

	/** Looks at the file again; reopens it when it was replaced (rotated) and restarts the index if truncated. */
	async refresh(): Promise<void> {
		if (this.closed) throw new Error('This read session is closed.');
		const real = await this.reopen();
		const st = await fs.stat(real);
		const id = `${st.dev}:${st.ino}`;
		if (!this.fh || id !== this.id) {
			const fh = await fs.open(real, 'r');
			const fst = await fh.stat();
			await this.fh?.close().catch(() => {});
			this.fh = fh;
			this.id = `${fst.dev}:${fst.ino}`;
			this.index.reset();
			this.size = fst.size;
			this.mtime = fst.mtime;
		} else {
			if (st.size < this.index.indexedBytes) this.index.reset();
			this.size = st.size;
			this.mtime = st.mtime;
		}
		this.kickIndex();
	}

	close(): void {
		this.closed = true;
		void this.fh?.close().catch(() => {});
		this.fh = null;
	}

	private get handle(): FileHandle {
		if (!this.fh) throw new Error('This read session is closed.');
		return this.fh;
	}

	private kickIndex(): void {
		if (this.indexing || this.closed || this.index.indexedBytes >= this.size) return;
		this.indexing = (async () => {
			const buf = Buffer.allocUnsafe(INDEX_CHUNK);
			while (!this.closed && this.index.indexedBytes < this.size) {
				const fh = this.handle;
				const pos = this.index.indexedBytes;
				const { bytesRead } = await fh.read(buf, 0, Math.min(INDEX_CHUNK, this.size - pos), pos);
				// Reopened or truncated while reading: start over with the new file.
				if (!bytesRead || fh !== this.fh || this.index.indexedBytes !== pos) break;
				this.index.feed(buf.subarray(0, bytesRead));
				await new Promise((r) => setImmediate(r));
			}
		})()
			.catch(() => {})
			.finally(() => {
				this.indexing = null;
				if (!this.closed && this.index.indexedBytes < this.size && this.fh) this.kickIndex();
			});
	}

	state(): LogIndexState {
		const complete = this.index.indexedBytes >= this.size;
		return {
			size: this.size,
			mtime: this.mtime?.toISOString() ?? null,
			indexedBytes: this.index.indexedBytes,
			lines: complete ? this.index.lines : this.index.newlines,
			complete
		};
	}

	private async waitIndex(ok: () => boolean, ms: number): Promise<boolean> {
		const end = Date.now() + ms;
		while (!ok() && Date.now() < end && this.indexing) await sleep(10);
		return ok();
	}

	/** Line number of the line starting at `offset`, when the index has reached it. */
	async lineNumberAt(offset: number): Promise<number | null> {
		if (offset > this.index.indexedBytes) return null;
		const cp = this.index.checkpointForOffset(offset);
		return cp.line + (await countNewlines(this.handle, cp.offset, offset));
	}

	private async offsetOfLine(n: number): Promise<number | null> {
		if (!this.index.knowsLine(n)) return null;
		const cp = this.index.checkpointForLine(n);
		return skipLines(this.handle, cp.offset, n - cp.line, this.size);
	}

	private settled(): boolean {
		return !!this.mtime && Date.now() - this.mtime.getTime() > SETTLED_MS;
	}

	/** Up to `max` lines from `from` (a line start), numbered from `n` when it is known. */
	private async collect(from: number, n: number | null, max: number) {
		const lines: LogLine[] = [];
		let end = from;
		let chars = 0;
		const partialOk = this.settled();
		await scanForward(this.handle, from, this.size, (l: RawLine) => {
			if (!l.terminated && !partialOk) return false;
			lines.push({ n, offset: l.offset, text: l.text, ...(l.truncated ? { truncated: true } : {}) });
			if (n !== null) n++;
			end = l.end;
			chars += l.text.length + 40;
			return lines.length < max && chars < MAX_ANSWER_CHARS;
		});
		const full = lines.length >= max || chars >= MAX_ANSWER_CHARS;
		return { lines, end, nextLine: n, full };
	}

	private cursor(offset: number, line: number | null): LogCursor {
		return { offset, line, file: this.id };
	}

	async read(from: LogPosition, count: number, before: number): Promise<LogReadResult> {
		await this.refresh();
		const fh = this.handle;
		let start: number;
		let total = count;
		if ('end' in from) {
			start = await startOfLastLines(fh, this.size, count);
		} else if ('line' in from) {
			const first = Math.max(1, from.line - before);
			total = count + (from.line - first);
			await this.waitIndex(
				() => this.index.knowsLine(first) || this.index.indexedBytes >= this.size,
				INDEX_WAIT_MS
			);
			const off = await this.offsetOfLine(first);
			if (off === null) {
				if (this.index.indexedBytes < this.size)
					throw new Error(
						`The line index has not reached line ${first} yet (${this.index.newlines} lines so far); try again in a moment.`
					);
				return {
					lines: [],
					index: this.state(),
					atEnd: true,
					next: this.cursor(this.size, this.index.lines + 1)
				};
			}
			start = off;
		} else if ('offset' in from || 'time' in from) {
			const at =
				'offset' in from
					? Math.min(from.offset, this.size)
					: await findTime(fh, this.size, Date.parse(from.time), (this.mtime ?? new Date()).getFullYear());
			start = await lineStartAt(fh, at);
			if (before > 0 && start > 0) {
				const earlier = await startOfLastLines(fh, start, before);
				total = count + (await countNewlines(fh, earlier, start));
				start = earlier;
			}
		} else throw new Error('A file has no journal cursor; read it by line, offset, time or from the end.');
		const n = await this.lineNumberAt(start);
		const { lines, end, nextLine } = await this.collect(start, n, total);
		return { lines, index: this.state(), atEnd: end >= this.size, next: this.cursor(end, nextLine) };
	}

	async follow(after: LogCursor, max: number, waitMs: number): Promise<LogFollowResult> {
		if (!('offset' in after)) throw new Error('This cursor belongs to the journal, not to a file.');
		await this.refresh();
		let offset = after.offset;
		let line = after.line;
		let rotated = false;
		const check = () => {
			if ((after.file && after.file !== this.id) || offset > this.size) {
				rotated = true;
				offset = 0;
				line = 1;
			}
		};
		check();
		const deadline = Date.now() + waitMs;
		while (!rotated && this.size <= offset && Date.now() < deadline && !this.closed) {
			await sleep(Math.min(200, Math.max(1, deadline - Date.now())));
			await this.refresh();
			check();
		}
		if (line === null) line = await this.lineNumberAt(offset);
		const { lines, end, nextLine, full } = await this.collect(offset, line, max);
		return {
			lines,
			next: this.cursor(end, lines.length ? nextLine : line),
			rotated,
			more: full && end < this.size,
			index: this.state()
		};
	}

	async filter(f: LogFilter, from: LogCursor | null, limit: number): Promise<LogFilterResult> {
		if (from && !('offset' in from)) throw new Error('This cursor belongs to the journal, not to a file.');
		await this.refresh();
		const fh = this.handle;
		const fresh = !from || (from.file && from.file !== this.id) || from.offset > this.size;
		const offset = fresh ? 0 : from!.offset;
		let n: number | null = fresh ? 1 : from!.line;
		const shown = fresh ? 0 : (from!.shown ?? offset);
		if (n === null) n = await this.lineNumberAt(offset);
		const run = new FilterRun(f, limit);
		if (offset > 0 && f.before > 0) {
			const s = await startOfLastLines(fh, offset, f.before);
			const prior = await this.collect(
				s,
				n === null ? null : n - (await countNewlines(fh, s, offset)),
				f.before
			);
			run.prefill(prior.lines.filter((l) => (l.offset ?? 0) >= shown && (l.offset ?? 0) < offset));
		}
		const deadline = Date.now() + FILTER_BUDGET_MS;
		let scanned = offset;
		let stopped = false;
		let k = 0;
		let lastShown = shown;
		const partialOk = this.settled();
		await scanForward(fh, offset, this.size, (l) => {
			if (!l.terminated && !partialOk) return false;
			const rowsBefore = run.rows.length;
			const go = run.push({ n, offset: l.offset, text: l.text, ...(l.truncated ? { truncated: true } : {}) });
			if (n !== null) n++;
			scanned = l.end;
			if (run.rows.length > rowsBefore) lastShown = l.offset + 1;
			if (!go || ((++k & 255) === 0 && Date.now() > deadline && !run.pendingContext)) {
				stopped = true;
				return false;
			}
		});
		return {
			rows: run.rows,
			hits: run.hits,
			scannedTo: scanned,
			done: !stopped,
			next: { offset: scanned, line: n, file: this.id, shown: lastShown },
			index: this.state()
		};
	}
}
