import { describe, expect, it } from 'vitest';
import { accessReader, PURGED_TEXT, purgedLines } from './api-access';
import type { Unbatched } from './api';

/** A console log of `total` lines whose lines before `firstLine` were purged, as accessLogs.lines answers. */
function fakeClient(total: number, firstLine: number) {
	const calls: { fromLine?: number; count: number }[] = [];
	const client = {
		accessLogs: {
			lines: {
				query: async (q: { fromLine?: number; count: number }) => {
					calls.push(q);
					const from = Math.max(q.fromLine ?? 1, firstLine);
					const lines = [];
					for (let n = from; n < (q.fromLine ?? 1) + q.count && n <= total; n++)
						lines.push({ n, at: '2026-12-07T00:00:00.000Z', text: n % 10 === 0 ? `boom ${n}` : `line ${n}` });
					return { lines, total, firstLine, pending: null };
				}
			}
		}
	} as unknown as Unbatched;
	return { client, calls };
}

describe('an access log after retention purged its first lines', () => {
	it('shows purged lines as placeholders with their numbers, so the rows stay in place', async () => {
		expect(purgedLines(1, 3, 10).map((l) => l.n)).toEqual([1, 2, 3]);
		expect(purgedLines(8, 20, 10).map((l) => l.n)).toEqual([8, 9]);
		expect(purgedLines(10, 20, 10)).toEqual([]);
		const { client } = fakeClient(200, 101);
		const r = accessReader(7, client);
		const top = await r.read({ line: 1 }, 50, 0);
		expect(top.lines.map((l) => l.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
		expect(top.lines.every((l) => l.text === PURGED_TEXT)).toBe(true);
		const edge = await r.read({ line: 95 }, 10, 0);
		expect(edge.lines.map((l) => [l.n, l.text])).toEqual([
			[95, PURGED_TEXT],
			[96, PURGED_TEXT],
			[97, PURGED_TEXT],
			[98, PURGED_TEXT],
			[99, PURGED_TEXT],
			[100, PURGED_TEXT],
			[101, 'line 101'],
			[102, 'line 102'],
			[103, 'line 103'],
			[104, 'line 104']
		]);
	});
	it('filters from the first stored line instead of asking for the purged ones again and again', async () => {
		// More lines purged than one page of the scan holds.
		const { client, calls } = fakeClient(10_100, 10_001);
		const r = accessReader(7, client);
		const f = await r.filter({ include: ['boom'] }, null, 100);
		expect(f.rows.filter((x) => x.hit).map((x) => x.n)).toEqual(
			Array.from({ length: 10 }, (_, i) => 10_010 + 10 * i)
		);
		expect(f.done).toBe(true);
		expect(calls.length).toBeLessThanOrEqual(2);
	});
	it('follows from the first stored line', async () => {
		const { client } = fakeClient(120, 101);
		const r = accessReader(7, client);
		// Nothing to wait for before the first stored line: the cursor moves past the purged ones …
		const f = await r.follow({ offset: 0, line: 1 }, 100, 0);
		expect(f.lines).toEqual([]);
		expect(f.next).toEqual({ offset: 100, line: 101 });
		// … and the next look reads on from there.
		const g = await r.follow(f.next, 100, 0);
		expect(g.lines.map((l) => l.n)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
		expect(g.next).toEqual({ offset: 120, line: 121 });
	});
});
