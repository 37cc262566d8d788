// A sparse line index: the byte offset of every 1024th line, built by counting newlines as the file is read
// once from start to end. Line N is then found by jumping to the checkpoint before it and skipping at most
// 1023 lines, so paging through a file of gigabytes costs one small read, and the index of a 50-million-line
// file is about 50,000 numbers.

export const CHECKPOINT_EVERY = 1024;

export class LineIndex {
	/** starts[k]: byte offset where line k·EVERY + 1 begins (starts[0] = 0 for line 1). */
	readonly starts: number[] = [0];
	/** Newlines in [0, indexedBytes). */
	newlines = 0;
	indexedBytes = 0;
	private lastByte = -1;

	constructor(readonly every = CHECKPOINT_EVERY) {}

	/** Takes the next bytes of the file (in order, from offset indexedBytes). */
	feed(chunk: Uint8Array): void {
		const base = this.indexedBytes;
		const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
		let i = buf.indexOf(10);
		while (i >= 0) {
			this.newlines++;
			if (this.newlines % this.every === 0) this.starts.push(base + i + 1);
			i = buf.indexOf(10, i + 1);
		}
		this.indexedBytes += buf.length;
		if (buf.length) this.lastByte = buf[buf.length - 1];
	}

	reset(): void {
		this.starts.length = 1;
		this.newlines = 0;
		this.indexedBytes = 0;
		this.lastByte = -1;
	}

	/** Lines in what was indexed: every newline ends one, and text after the last newline is one more. */
	get lines(): number {
		return this.newlines + (this.indexedBytes > 0 && this.lastByte !== 10 ? 1 : 0);
	}

	/** True when line `n` (1-based) starts inside what was indexed, so its offset can be found. */
	knowsLine(n: number): boolean {
		return n >= 1 && n <= this.newlines + 1;
	}

	/** The nearest checkpoint at or before line `n`. */
	checkpointForLine(n: number): { line: number; offset: number } {
		const k = Math.max(0, Math.min(Math.floor((n - 1) / this.every), this.starts.length - 1));
		return { line: k * this.every + 1, offset: this.starts[k] };
	}

	/** The nearest checkpoint at or before byte `offset`. */
	checkpointForOffset(offset: number): { line: number; offset: number } {
		let lo = 0;
		let hi = this.starts.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (this.starts[mid] <= offset) lo = mid;
			else hi = mid - 1;
		}
		return { line: lo * this.every + 1, offset: this.starts[lo] };
	}
}
