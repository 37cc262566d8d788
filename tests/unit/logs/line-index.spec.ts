// The sparse line index and the chunked line scanning the agent pages files with.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineIndex } from '../../../agent/src/modules/files/line-index';
import {
	countNewlines,
	lineStartAt,
	scanForward,
	skipLines,
	startOfLastLines
} from '../../../agent/src/modules/files/scan';
import { LOG_MAX_LINE_CHARS } from '../../../src/lib/protocol/logs';

describe('LineIndex', () => {
	it('counts lines and keeps a checkpoint every N lines, across chunk boundaries', () => {
		const text = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
		const idx = new LineIndex(4);
		const buf = Buffer.from(text);
		for (let i = 0; i < buf.length; i += 7) idx.feed(buf.subarray(i, i + 7));
		expect(idx.lines).toBe(25);
		expect(idx.indexedBytes).toBe(buf.length);
		// line 5, 9, 13 … start at the recorded offsets
		for (const [k, start] of idx.starts.entries()) {
			const n = k * 4 + 1;
			expect(text.slice(start).startsWith(`line ${n}\n`)).toBe(true);
		}
		expect(idx.checkpointForLine(11)).toEqual({ line: 9, offset: idx.starts[2] });
		expect(idx.checkpointForOffset(idx.starts[3] + 2)).toEqual({ line: 13, offset: idx.starts[3] });
		expect(idx.checkpointForOffset(0)).toEqual({ line: 1, offset: 0 });
		expect(idx.knowsLine(26)).toBe(true); // starts after the last newline (nothing there yet)
		expect(idx.knowsLine(27)).toBe(false);
	});

	it('counts a last line without a newline, and an empty file as none', () => {
		const idx = new LineIndex();
		expect(idx.lines).toBe(0);
		idx.feed(Buffer.from('a\nb'));
		expect(idx.lines).toBe(2);
		idx.feed(Buffer.from('\n'));
		expect(idx.lines).toBe(2);
		idx.reset();
		expect([idx.lines, idx.indexedBytes, idx.starts]).toEqual([0, 0, [0]]);
	});
});

describe('line scanning', () => {
	let dir: string;
	let file: string;
	let fh: fsp.FileHandle;
	const lines = Array.from(
		{ length: 3000 },
		(_, i) => `${String(i + 1).padStart(5, '0')} ${'x'.repeat(i % 200)}`
	);
	// One huge line in the middle, and CRLF on another.
	lines[1500] = 'H'.repeat(LOG_MAX_LINE_CHARS * 5);
	lines[10] = 'crlf line\r';
	const text = lines.join('\n') + '\nlast without newline';

	beforeAll(async () => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-scan-'));
		file = path.join(dir, 'f.log');
		fs.writeFileSync(file, text);
		fh = await fsp.open(file, 'r');
	});
	afterAll(async () => {
		await fh.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it('reads every line forward with its offset, cutting the huge one and the CR', async () => {
		const got: { offset: number; text: string; truncated: boolean; terminated: boolean }[] = [];
		const size = Buffer.byteLength(text);
		const end = await scanForward(fh, 0, size, (l) => void got.push(l));
		expect(end).toBe(size);
		expect(got).toHaveLength(3001);
		expect(got[0]).toMatchObject({ offset: 0, text: '00001 ', truncated: false, terminated: true });
		expect(got[10].text).toBe('crlf line');
		expect(got[1500].truncated).toBe(true);
		expect(got[1500].text).toHaveLength(LOG_MAX_LINE_CHARS);
		expect(got[3000]).toMatchObject({ text: 'last without newline', terminated: false });
		for (const i of [0, 999, 1501, 2999]) expect(text.slice(got[i].offset).startsWith(lines[i])).toBe(true);
	});

	it('stops where the callback says and finds line starts backwards', async () => {
		const size = Buffer.byteLength(text);
		let n = 0;
		const stop = await scanForward(fh, 0, size, () => ++n < 3);
		expect(stop).toBe(Buffer.byteLength(lines.slice(0, 3).join('\n') + '\n'));
		const start3 = Buffer.byteLength(lines.slice(0, 2).join('\n') + '\n');
		expect(await lineStartAt(fh, start3 + 4)).toBe(start3);
		expect(await lineStartAt(fh, start3)).toBe(start3);
		// the last 2 lines: "03000 …" and the unterminated one
		const s = await startOfLastLines(fh, size, 2);
		expect(text.slice(s).startsWith(lines[2999])).toBe(true);
		expect(await startOfLastLines(fh, size, 100_000)).toBe(0);
		expect(await countNewlines(fh, 0, size)).toBe(3000);
		expect(await skipLines(fh, 0, 2, size)).toBe(start3);
		expect(await skipLines(fh, 0, 5000, size)).toBeNull();
	});
});
