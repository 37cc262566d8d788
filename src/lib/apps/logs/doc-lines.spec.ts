import { describe, expect, it } from 'vitest';
import type { LogIndexState, LogLine, LogReadResult } from '$protocol/logs';
import type { LineReader } from './api';
import { LineDoc } from './doc-lines.svelte';

const LINES = 1000;
const text = (n: number) => `line ${n}`;
const offsetOf = (n: number) => (n - 1) * 10;
const index: LogIndexState = {
	size: LINES * 10,
	mtime: null,
	indexedBytes: LINES * 10,
	lines: LINES,
	complete: true
};

/**
 * A file of LINES lines as the agent answers when it finishes counting while it reads the end: the lines read
 * from the end carry no numbers, yet the index sent with them is already complete. Reads by number are numbered.
 */
function racingReader(): LineReader & { reads: string[] } {
	const reads: string[] = [];
	const lines = (from: number, count: number, numbered: boolean): LogLine[] =>
		Array.from({ length: Math.max(0, Math.min(count, LINES - from + 1)) }, (_, k) => ({
			n: numbered ? from + k : null,
			offset: offsetOf(from + k),
			text: text(from + k)
		}));
	return {
		reads,
		async read(from, count): Promise<LogReadResult> {
			reads.push(JSON.stringify(from));
			const first = 'end' in from ? LINES - count + 1 : 'line' in from ? from.line : 1;
			const got = lines(first, count, !('end' in from));
			const last = first + got.length - 1;
			return {
				lines: got,
				index,
				atEnd: last >= LINES,
				next: { offset: offsetOf(last + 1), line: 'end' in from ? null : last + 1 }
			};
		},
		follow: () => new Promise(() => {}),
		filter: () => Promise.reject(new Error('not used'))
	};
}

describe('LineDoc', () => {
	it('numbers the last lines when the count finished while they were read from the end', async () => {
		const reader = racingReader();
		const doc = new LineDoc(reader);
		const target = await doc.open(null);
		expect(target).toBe(LINES - 1);
		expect(doc.total).toBe(LINES);
		// The page read by number replaces the unnumbered lines, without the list having to ask.
		await expect.poll(() => doc.row(LINES - 1)?.n).toBe(LINES);
		expect(doc.row(LINES - 1)?.text).toBe(text(LINES));
		expect(doc.row(LINES - 200)?.n).toBe(LINES - 199);
		expect(reader.reads).toContain(JSON.stringify({ line: 801 }));
		doc.close();
	});
});
