// The gang's merged stream: whole lines only, each prefixed with its device, colour kept inside a line and
// reset at its end, cursor and screen controls dropped; open lines (prompts) shown after a pause; and the
// tiles' latest lines; why gang input skips a console; a gang window's props.
import { describe, expect, it } from 'vitest';
import { LinePrefixer, TailLines, cleanLine } from '../../../src/lib/apps/consoles/gang/lines';
import { gangIds } from '../../../src/lib/apps/consoles/gang/view';
import { gangSkip } from '../../../src/lib/protocol/gang';
import type { ConsoleRoomState } from '../../../src/lib/protocol/consoles';

const enc = (s: string) => new TextEncoder().encode(s);
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('merged stream', () => {
	it('never splits a line between two consoles, whatever the chunks', () => {
		const p = new LinePrefixer();
		p.label(1, 'web1');
		p.label(2, 'db-primary');
		let out = '';
		out += p.push(1, enc('hello fr'), 0);
		out += p.push(2, enc('other 1\nother '), 0);
		out += p.push(1, enc('om web1\r\nsecond'), 0);
		out += p.push(2, enc('2\n'), 0);
		out += p.push(1, enc(' line\n'), 0);
		expect(plain(out).split('\r\n')).toEqual([
			'db-primary │ other 1',
			'web1       │ hello from web1',
			'db-primary │ other 2',
			'web1       │ second line',
			''
		]);
	});

	it('keeps colour inside a line and resets it at the end; drops cursor moves, clears and titles', () => {
		const p = new LinePrefixer();
		p.label(3, 'h');
		const out = p.push(3, enc('\x1b]0;title\x07\x1b[2J\x1b[H\x1b[1;31mred\x1b[0m ok\x1b[K\r\n'), 0);
		const body = out.slice(out.indexOf('│') + 6);
		expect(body).toBe('\x1b[1;31mred\x1b[0m ok\x1b[0m\r\n');
		// eslint-disable-next-line no-control-regex
		expect(out).not.toMatch(/\x1b\[2J|\x1b\[H|title|\x1b\[K/);
	});

	it('joins an escape sequence and a character split over chunks', () => {
		const p = new LinePrefixer();
		p.label(1, 'a');
		const euro = enc('€');
		let out = p.push(1, enc('\x1b[3'), 0);
		out += p.push(1, new Uint8Array([...enc('2m'), ...euro.subarray(0, 1)]), 0);
		out += p.push(1, new Uint8Array([...euro.subarray(1), ...enc('x\n')]), 0);
		// eslint-disable-next-line no-control-regex
		expect(out).toMatch(/│\x1b\[0m \x1b\[32m€x\x1b\[0m\r\n$/);
	});

	it('applies carriage returns and backspaces within a line (progress bars, echoed erase)', () => {
		expect(cleanLine('10%\r50%\r100%\r', false)).toBe('100%');
		expect(cleanLine('lx\bs -l', false)).toBe('ls -l');
		expect(cleanLine('\x1b[32mok\x1b[0m\rdone', true)).toBe('\x1b[32m\x1b[0mdone\x1b[0m');
	});

	it('shows a line left open after a pause (a prompt), then starts the next on a new line', () => {
		const p = new LinePrefixer(1000);
		p.label(1, 'web1');
		expect(p.push(1, enc('$ '), 0)).toBe('');
		expect(p.flushIdle(500)).toBe('');
		expect(plain(p.flushIdle(1000))).toBe('web1     │ $ \r\n');
		expect(plain(p.push(1, enc('ls\r\n'), 1100))).toBe('web1     │ ls\r\n');
		// an escape sequence still arriving is never shown half
		p.push(1, enc('\x1b[3'), 2000);
		expect(p.flushIdle(9000)).toBe('');
	});

	it('cuts a line that never ends', () => {
		const p = new LinePrefixer();
		p.label(1, 'x');
		const out = p.push(1, enc('y'.repeat(10_000)), 0);
		expect(out.split('\r\n')).toHaveLength(3);
	});
});

describe('tile lines', () => {
	it('keeps the last lines without colour, and the open one', () => {
		const t = new TailLines(3);
		t.push(enc('1\n2\n3\n\x1b[1m4\x1b[0m\n$ '));
		expect(t.text()).toBe('2\n3\n4\n$ ');
		t.push(enc('\x1b[3'));
		expect(t.open).toBe('$ ');
	});
});

describe('gang skip reasons', () => {
	const room = (over: Partial<ConsoleRoomState> = {}): ConsoleRoomState => ({
		consoleId: 1,
		state: 'open',
		message: null,
		participants: [],
		writer: null,
		oneWriter: false,
		...over
	});

	it('says why typed input would not go to a console', () => {
		expect(gangSkip('write', room(), 7)).toBeNull();
		expect(gangSkip(null, null, 7)?.reason).toBe('no-view');
		expect(gangSkip('view', room(), 7)?.reason).toBe('no-write');
		expect(gangSkip('write', room({ oneWriter: true, writer: { userId: 3, username: 'ann' } }), 7)).toEqual({
			reason: 'not-writer',
			message: 'ann holds the keyboard (one writer at a time).'
		});
		expect(gangSkip('write', room({ oneWriter: true, writer: { userId: 7, username: 'me' } }), 7)).toBeNull();
		expect(gangSkip('write', room({ state: 'offline', message: 'The agent is not connected.' }), 7)).toEqual({
			reason: 'offline',
			message: 'The agent is not connected.'
		});
		expect(gangSkip('write', room({ state: 'stopped' }), 7)?.reason).toBe('stopped');
		expect(gangSkip('write', room({ state: 'connecting' }), 7)).toBeNull();
	});

	it('reads a gang window’s consoles from its props or a desktop link', () => {
		expect(gangIds({ gang: [3, 3, 7, -1, 'x'] })).toEqual([3, 7]);
		expect(gangIds({ gang: '3,7,9' })).toEqual([3, 7, 9]);
		expect(gangIds({ tabs: [1] })).toBeNull();
		expect(gangIds({ gang: Array.from({ length: 300 }, (_, i) => i + 1) })).toHaveLength(200);
	});
});
