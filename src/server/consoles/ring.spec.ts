import { describe, expect, it } from 'vitest';
import { Ring } from './ring';
import { mergeParticipants } from './room-info';

const b = (s: string) => Buffer.from(s);

describe('the scrollback ring', () => {
	it('keeps at least maxBytes of the newest output and drops what is older', () => {
		const r = new Ring(10, 0);
		for (let i = 1; i <= 6; i++) r.push(i, b(`${i}abc`)); // 4 bytes each
		expect(r.lastSeq).toBe(6);
		expect(r.bytes).toBeGreaterThanOrEqual(10);
		expect(r.bytes).toBeLessThan(14);
		expect(r.snapshot(100).data.toString()).toBe('4abc5abc6abc');
		expect(r.floor).toBe(3);
	});

	it('cuts a snapshot to the bytes asked for, and can start after a number', () => {
		const r = new Ring(100, 0);
		for (let i = 1; i <= 5; i++) r.push(i, b(`<${i}>`));
		expect(r.snapshot(5)).toEqual({ seq: 5, data: b('4><5>') });
		expect(r.snapshot(100, 3).data.toString()).toBe('<4><5>');
		expect(r.snapshot(100, 5).data.length).toBe(0);
	});

	it('with nobody watching keeps only what is not committed yet', () => {
		const r = new Ring(0, 0);
		for (let i = 1; i <= 5; i++) r.push(i, b(`<${i}>`), 3);
		expect(r.snapshot(100).data.toString()).toBe('<4><5>');
		expect(r.floor).toBe(3);
		r.push(6, b('<6>'), 6);
		expect(r.snapshot(100).data.toString()).toBe('<6>');
	});

	it('ignores numbers it already has', () => {
		const r = new Ring(100, 10);
		r.push(11, b('a'));
		r.push(11, b('b'));
		r.push(9, b('c'));
		expect(r.snapshot(100)).toEqual({ seq: 11, data: b('a') });
	});

	it('stays correct over many chunks (compaction)', () => {
		const r = new Ring(64, 0);
		for (let i = 1; i <= 5000; i++) r.push(i, b(String(i % 10)));
		expect(r.lastSeq).toBe(5000);
		expect(r.snapshot(10).data.toString()).toBe('1234567890');
	});
});

describe('participants over nodes', () => {
	it('lists each user once, adds windows up, and writes if any window may', () => {
		const merged = mergeParticipants([
			[
				{ userId: 2, username: 'bob', mode: 'view', windows: 1 },
				{ userId: 1, username: 'alice', mode: 'write', windows: 2 }
			],
			[{ userId: 2, username: 'bob', mode: 'write', windows: 1 }]
		]);
		expect(merged).toEqual([
			{ userId: 1, username: 'alice', mode: 'write', windows: 2 },
			{ userId: 2, username: 'bob', mode: 'write', windows: 2 }
		]);
	});
});
