// Reading lines out of a file handle by byte offset, forwards and backwards, in chunks: a line is never held
// whole past LOG_MAX_LINE_CHARS (a "line" of a gigabyte without a newline costs no memory).
import type { FileHandle } from 'node:fs/promises';
import { LOG_MAX_LINE_CHARS } from '../../../../src/lib/protocol/logs';

const CHUNK = 256 * 1024;
/** Bytes of a line decoded: enough for LOG_MAX_LINE_CHARS characters of any UTF-8. */
const HEAD_BYTES = LOG_MAX_LINE_CHARS * 4;

export interface RawLine {
	/** Offset of the line's first byte, and just past its newline (or the end of the data). */
	offset: number;
	end: number;
	text: string;
	truncated: boolean;
	/** False for the last line when the data does not end with a newline (yet). */
	terminated: boolean;
}

function decode(parts: Buffer[], headLen: number, total: number, terminated: boolean) {
	let text = (parts.length === 1 ? parts[0] : Buffer.concat(parts, headLen)).toString('utf8');
	let truncated = total > headLen;
	if (!truncated && terminated && text.endsWith('\r')) text = text.slice(0, -1);
	if (text.length > LOG_MAX_LINE_CHARS) {
		text = text.slice(0, LOG_MAX_LINE_CHARS);
		truncated = true;
	}
	return { text, truncated };
}

/**
 * Calls `onLine` for each line from `from` (a line start) until `until`; it returns false to stop. The last
 * line is handed over unterminated when the data ends without a newline. Returns the offset just past the
 * last line handed over (from `from` if none).
 */
export async function scanForward(
	fh: FileHandle,
	from: number,
	until: number,
	onLine: (l: RawLine) => boolean | void
): Promise<number> {
	const buf = Buffer.allocUnsafe(CHUNK);
	let pos = from;
	let lineStart = from;
	let parts: Buffer[] = [];
	let headLen = 0;
	while (pos < until) {
		const { bytesRead: n } = await fh.read(buf, 0, Math.min(CHUNK, until - pos), pos);
		if (n === 0) break;
		const data = buf.subarray(0, n);
		let s = 0;
		while (s < n) {
			const nl = data.indexOf(10, s);
			const e = nl < 0 ? n : nl;
			if (nl >= 0 && !parts.length) {
				// The common case: the whole line is in this chunk.
				const total = nl - s;
				const take = Math.min(total, HEAD_BYTES);
				const { text, truncated } = decode([data.subarray(s, s + take)], take, total, true);
				const line = { offset: lineStart, end: pos + nl + 1, text, truncated, terminated: true };
				if (onLine(line) === false) return line.end;
				lineStart = line.end;
				s = nl + 1;
				continue;
			}
			if (headLen < HEAD_BYTES) {
				const take = Math.min(e - s, HEAD_BYTES - headLen);
				parts.push(Buffer.from(data.subarray(s, s + take)));
				headLen += take;
			}
			if (nl < 0) break;
			const total = pos + nl - lineStart;
			const { text, truncated } = decode(parts, headLen, total, true);
			const line = { offset: lineStart, end: pos + nl + 1, text, truncated, terminated: true };
			parts = [];
			headLen = 0;
			if (onLine(line) === false) return line.end;
			lineStart = line.end;
			s = nl + 1;
		}
		pos += n;
	}
	if (lineStart < pos) {
		const { text, truncated } = decode(parts, headLen, pos - lineStart, false);
		onLine({ offset: lineStart, end: pos, text, truncated, terminated: false });
		return pos;
	}
	return lineStart;
}

/** Position of the `nth` newline before `before` (scanning right to left), or -1 when there are fewer. */
export async function prevNewline(fh: FileHandle, before: number, nth: number): Promise<number> {
	const buf = Buffer.allocUnsafe(64 * 1024);
	let end = before;
	let left = nth;
	while (end > 0) {
		const start = Math.max(0, end - buf.length);
		const { bytesRead } = await fh.read(buf, 0, end - start, start);
		const data = buf.subarray(0, bytesRead);
		let i = data.lastIndexOf(10);
		while (i >= 0) {
			if (--left === 0) return start + i;
			i = i > 0 ? data.lastIndexOf(10, i - 1) : -1;
		}
		end = start;
	}
	return -1;
}

/** Start of the line holding byte `offset`. */
export async function lineStartAt(fh: FileHandle, offset: number): Promise<number> {
	return offset <= 0 ? 0 : (await prevNewline(fh, offset, 1)) + 1;
}

/** Start of the `count`-th line before `end` (a line boundary); 0 when there are fewer lines. */
export async function startOfLastLines(fh: FileHandle, end: number, count: number): Promise<number> {
	if (end <= 0 || count <= 0) return end;
	return (await prevNewline(fh, end - 1, count)) + 1;
}

/** Newlines in [from, to). */
export async function countNewlines(fh: FileHandle, from: number, to: number): Promise<number> {
	const buf = Buffer.allocUnsafe(CHUNK);
	let n = 0;
	for (let pos = from; pos < to;) {
		const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, to - pos), pos);
		if (!bytesRead) break;
		const data = buf.subarray(0, bytesRead);
		for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) n++;
		pos += bytesRead;
	}
	return n;
}

/** Offset just past the `count`-th newline at or after `from` (the start of line +count), or null at EOF. */
export async function skipLines(
	fh: FileHandle,
	from: number,
	count: number,
	size: number
): Promise<number | null> {
	if (count <= 0) return from;
	const buf = Buffer.allocUnsafe(CHUNK);
	let left = count;
	for (let pos = from; pos < size;) {
		const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
		if (!bytesRead) break;
		const data = buf.subarray(0, bytesRead);
		for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) if (--left === 0) return pos + i + 1;
		pos += bytesRead;
	}
	return null;
}
