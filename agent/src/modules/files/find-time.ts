// "Jump to a time" in a file: a binary search over byte offsets on the timestamps lines start with, then a
// short forward scan. Lines without a timestamp (stack traces, continuation lines) are stepped over.
import type { FileHandle } from 'node:fs/promises';
import { lineStartAt, scanForward } from './scan';
import { lineTime } from './time';

/** Below this span the search scans forward instead of halving. */
const LINEAR_BYTES = 256 * 1024;
/** Lines looked at after a probe point for one that carries a timestamp. */
const PROBE_LINES = 200;

/** The first timestamped line at or after `from` (within a few hundred lines), as [offset, end, time]. */
async function probe(fh: FileHandle, from: number, size: number, year: number) {
	let found: [number, number, number] | null = null;
	let seen = 0;
	await scanForward(fh, await lineStartAt(fh, from), size, (l) => {
		const t = l.offset >= from ? lineTime(l.text, year) : null;
		if (t !== null) {
			found = [l.offset, l.end, t];
			return false;
		}
		return ++seen < PROBE_LINES;
	});
	return found as [number, number, number] | null;
}

/** Offset of the first line stamped at or after `target` (epoch ms); the file size when there is none. */
export async function findTime(fh: FileHandle, size: number, target: number, year: number): Promise<number> {
	if (!Number.isFinite(target)) throw new Error('That is not a time.');
	let lo = 0;
	let hi = size;
	while (hi - lo > LINEAR_BYTES) {
		const mid = lo + Math.floor((hi - lo) / 2);
		const p = await probe(fh, mid, size, year);
		if (!p || p[0] >= hi || p[2] >= target) hi = mid;
		else lo = p[1];
	}
	let answer = size;
	await scanForward(fh, await lineStartAt(fh, lo), size, (l) => {
		const t = lineTime(l.text, year);
		if (t !== null && t >= target) {
			answer = l.offset;
			return false;
		}
		// Past the searched span with nothing later than the target: the answer is the end.
		return l.offset <= hi + LINEAR_BYTES;
	});
	return answer;
}
