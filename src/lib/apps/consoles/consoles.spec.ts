import { describe, expect, it } from 'vitest';
import { CONSOLE_MAX_INPUT_BYTES } from '$protocol/consoles';
import { checkPaste, keySequence, withCtrl } from './input';
import { closeTab, openTab, parseView } from './view';
import { filterConsoles } from './filter';
import { countUpTo, inputRuns, outputBetween, parseJump, showKeys, type ReplayRecord } from './timeline';
import { clock } from './format';

const enc = new TextEncoder();

describe('paste guard', () => {
	it('sends one line, confirms several, refuses more than the server takes', () => {
		expect(checkPaste('ls -l')).toEqual({ kind: 'send' });
		expect(checkPaste('ls -l\n')).toEqual({ kind: 'send' });
		const c = checkPaste('a\r\nb\nc\nd\ne\nf\ng');
		expect(c).toMatchObject({ kind: 'confirm', lines: 7, preview: ['a', 'b', 'c', 'd', 'e'] });
		const big = checkPaste('x'.repeat(CONSOLE_MAX_INPUT_BYTES + 1));
		expect(big.kind).toBe('refuse');
		if (big.kind === 'refuse') expect(big.message).toMatch(/at most 64 KB/);
		// Bytes, not characters: 3-byte characters count three times.
		expect(checkPaste('€'.repeat(CONSOLE_MAX_INPUT_BYTES / 3 + 1)).kind).toBe('refuse');
	});
});

describe('key row', () => {
	it('sends arrows in the mode the program chose, and Ctrl as control characters', () => {
		expect(keySequence('up', false)).toBe('\x1b[A');
		expect(keySequence('up', true)).toBe('\x1bOA');
		expect(keySequence('esc', false)).toBe('\x1b');
		expect(withCtrl('c')).toBe('\x03');
		expect(withCtrl('C')).toBe('\x03');
		expect(withCtrl('[')).toBe('\x1b');
		expect(withCtrl('1')).toBe('1');
		expect(withCtrl('ab')).toBe('ab');
	});
});

describe('window view', () => {
	it('reads damaged props as the picker and keeps tabs unique', () => {
		expect(parseView({})).toEqual({ tabs: [], active: null, replay: null, picker: true });
		expect(parseView({ tabs: [3, 3, 'x', -1, 5], active: 9 })).toMatchObject({ tabs: [3, 5], active: 5 });
		expect(parseView({ console: '7' })).toMatchObject({ tabs: [7], active: 7, picker: false });
		expect(parseView({ replay: 4, tabs: [1] })).toMatchObject({ tabs: [], replay: 4 });
	});
	it('opens and closes tabs', () => {
		let v = parseView({});
		v = openTab(openTab(v, 1), 2);
		expect(v).toMatchObject({ tabs: [1, 2], active: 2 });
		expect(openTab(v, 1)).toMatchObject({ tabs: [1, 2], active: 1 });
		v = closeTab(v, 2);
		expect(v).toMatchObject({ tabs: [1], active: 1 });
		expect(closeTab(v, 1)).toMatchObject({ tabs: [], active: null, picker: true });
	});
});

describe('picker search', () => {
	const list = [
		{ name: 'db1', deviceName: 'db1', kind: 'ssh', tags: ['rack4'], groups: [{ name: 'Core' }] },
		{ name: 'db1:serial', deviceName: 'db1', kind: 'serial', tags: [], groups: [{ name: 'Core' }] },
		{ name: 'web2', deviceName: 'web2', kind: 'shell', tags: ['rack4', 'dmz'], groups: [] }
	];
	it('matches every word against name, device, kind, tags and groups', () => {
		expect(filterConsoles(list, '').length).toBe(3);
		expect(filterConsoles(list, 'db1 serial').map((c) => c.name)).toEqual(['db1:serial']);
		expect(filterConsoles(list, 'tag:rack4').map((c) => c.name)).toEqual(['db1', 'web2']);
		expect(filterConsoles(list, 'group:core kind:ssh').map((c) => c.name)).toEqual(['db1']);
		expect(filterConsoles(list, 'DMZ').map((c) => c.name)).toEqual(['web2']);
		expect(filterConsoles(list, 'nothing')).toEqual([]);
	});
});

describe('replay timeline', () => {
	const rec = (
		seq: number,
		at: number,
		kind: ReplayRecord['kind'],
		data: string,
		username: string | null = null
	) => ({
		seq,
		at,
		kind,
		username,
		data: enc.encode(data)
	});
	const records: ReplayRecord[] = [
		rec(1, 1000, 'output', '$ '),
		rec(2, 1500, 'input', 'l', 'alice'),
		rec(3, 1600, 'input', 's\r', 'alice'),
		rec(4, 1700, 'output', 'ls\r\nfile\r\n$ '),
		rec(5, 1800, 'input', '\x1b[A\x03', 'bob'),
		rec(6, 9000, 'input', 'x', 'bob')
	];
	it('merges typing into runs per user, ending at Enter', () => {
		expect(inputRuns(records)).toEqual([
			{ seq: 2, at: 1500, username: 'alice', text: 'ls⏎' },
			{ seq: 5, at: 1800, username: 'bob', text: '↑^C' },
			{ seq: 6, at: 9000, username: 'bob', text: 'x' }
		]);
		expect(showKeys(enc.encode('a\tb\x7f\x1bOB'))).toBe('a⇥b⌫↓');
		expect(showKeys(enc.encode('\x1b[200~ls\necho\x1b[201~'))).toBe('ls⏎echo');
	});
	it('draws the output up to a moment', () => {
		expect(countUpTo(records, 999)).toBe(0);
		expect(countUpTo(records, 1700)).toBe(4);
		expect(new TextDecoder().decode(outputBetween(records, 0, countUpTo(records, 1700)))).toBe(
			'$ ls\r\nfile\r\n$ '
		);
	});
	it('reads "jump to" as a time of day or an offset', () => {
		const start = new Date(2026, 0, 5, 14, 0, 0).getTime();
		expect(parseJump('+90', start)).toBe(start + 90_000);
		expect(parseJump('+1:30', start)).toBe(start + 90_000);
		expect(parseJump('14:05', start)).toBe(start + 5 * 60_000);
		expect(parseJump('14:05:30.5', start)).toBe(start + 330_500);
		expect(parseJump('01:00', start)).toBe(new Date(2026, 0, 6, 1, 0, 0).getTime());
		expect(parseJump('25:00', start)).toBeNull();
		expect(parseJump('soon', start)).toBeNull();
		expect(clock(3_725_250, true)).toBe('01:02:05.250');
	});
});
