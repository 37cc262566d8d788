import { describe, expect, it } from 'vitest';
import {
	bytesToLines,
	bytesToText,
	splitOutput,
	stripAnsi,
	MAX_PARTIAL_BYTES
} from '../../../src/server/accesslog/text';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('access-log text lines', () => {
	it('strips colour, cursor, title and other escape sequences', () => {
		expect(stripAnsi('\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok\x1b[2K\x1b[?25h \x1b(B\x1b=done')).toBe(
			'red ok done'
		);
		expect(stripAnsi('a\x00b\x07c\x1b')).toBe('abc');
	});

	it('applies carriage returns and backspaces the way the terminal showed them', () => {
		expect(bytesToLines(b('progress 10%\rprogress 100%\r\n'))).toEqual(['progress 100%']);
		expect(bytesToLines(b('$ lss\b \b -l\r\n'))).toEqual(['$ ls -l']);
		expect(bytesToLines(b('abc\rX\n'))).toEqual(['Xbc']);
	});

	it('completes a partial line with the next chunk, across an escape sequence split in two', () => {
		let r = splitOutput(null, b('first line\r\nsecond \x1b[3'));
		expect(r.text).toBe('first line');
		expect(r.lines).toBe(1);
		r = splitOutput(r.partial, b('2mhalf\x1b[0m done\r\nthird'));
		expect(r.text).toBe('second half done');
		r = splitOutput(r.partial, b('\n'));
		expect(r).toEqual({ text: 'third', lines: 1, partial: null });
	});

	it('gives the same text on the plain fast path as on the full path', () => {
		const plain = b('one\r\ntwo\n\nthree\twith tab\r\n');
		expect(bytesToText(plain)).toEqual({ text: 'one\ntwo\n\nthree\twith tab', lines: 4 });
		expect(bytesToLines(plain)).toEqual(['one', 'two', '', 'three\twith tab']);
	});

	it('turns an over-long unfinished line into a line of its own', () => {
		const r = splitOutput(null, Buffer.alloc(MAX_PARTIAL_BYTES + 10, 'x'));
		expect(r.partial).toBeNull();
		expect(r.lines).toBeGreaterThan(1);
		expect(r.text.replace(/\n/g, '')).toHaveLength(MAX_PARTIAL_BYTES + 10);
	});

	it('keeps multi-byte characters split across chunks whole', () => {
		const bytes = b('Grüße\n');
		const r1 = splitOutput(null, bytes.subarray(0, 3));
		const r2 = splitOutput(r1.partial, bytes.subarray(3));
		expect(r2.text).toBe('Grüße');
	});
});
