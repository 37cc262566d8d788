// Recording: keystrokes back into the lines typed; and the output line splitter the wait-for steps read.
import { describe, expect, it } from 'vitest';
import { keystrokesToLines } from '../../../src/server/consoles/macros/keystrokes';
import { OutputLines, applyEdits } from '../../../src/server/consoles/macros/lines';

describe('keystrokes to lines', () => {
	it('applies the line editor keys and drops cursor keys', () => {
		const typed =
			'ls -lx\x7fa\r' + // backspace
			'rm -rf /\x03' + // Ctrl-C abandons the line
			'echo one two\x17three\r' + // Ctrl-W removes a word
			'junk\x15uptime\r\n' + // Ctrl-U clears; CRLF counts once
			'\x1b[Asystemctl status\x1b[D\x1bOA sshd\r' + // arrows (CSI and SS3) dropped
			'\x1b[200~pasted\x1b[201~\r' + // bracketed paste markers dropped
			'\r' + // an empty line stays (Enter alone)
			'half';
		expect(keystrokesToLines(typed)).toEqual({
			lines: ['ls -la', 'echo one three', 'uptime', 'systemctl status sshd', 'pasted', ''],
			partial: 'half'
		});
	});

	it('keeps at most the lines asked for', () => {
		expect(keystrokesToLines('a\rb\rc\r', 2).lines).toEqual(['a', 'b']);
	});
});

describe('output lines', () => {
	it('joins characters and escape sequences split over chunks, and applies CR and BS', () => {
		const l = new OutputLines();
		const euro = new TextEncoder().encode('€');
		expect(l.push(euro.subarray(0, 1))).toEqual({ lines: [], partial: '' });
		expect(l.push(new Uint8Array([...euro.subarray(1), 0x1b, 0x5b, 0x33]))).toEqual({
			lines: [],
			partial: '€'
		});
		expect(l.push(new TextEncoder().encode('1mred\x1b[0m\r\n10%\r20%\r\nab\bc\n'))).toEqual({
			lines: ['€red', '20%', 'ac'],
			partial: ''
		});
		expect(applyEdits('progress 10%\rdone\r')).toBe('doneress 10%');
	});

	it('cuts a line that never ends', () => {
		const l = new OutputLines();
		const r = l.push(new TextEncoder().encode('x'.repeat(40_000)));
		expect(r.lines).toHaveLength(2);
		expect(r.partial.length).toBe(40_000 - 2 * 16 * 1024);
	});
});
