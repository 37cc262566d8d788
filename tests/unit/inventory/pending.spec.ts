// Changes of several reports that wait together for the reconciliation worker are told as one.
import { describe, expect, it } from 'vitest';
import { mergeChanges } from '../../../src/server/inventory/store';
import type { PendingInventoryChange } from '../../../src/server/db/schema';

const change = (
	at: string,
	seq: number | null,
	sections: PendingInventoryChange['sections']
): PendingInventoryChange => ({ at, seq, sections, summary: '' });

describe('mergeChanges', () => {
	it('keeps either side when the other is missing', () => {
		const a = change('2026-01-01T00:00:00.000Z', 1, [{ section: 'os', added: 0, removed: 0, changed: 1 }]);
		expect(mergeChanges(null, a)).toBe(a);
		expect(mergeChanges(a, null)).toBe(a);
		expect(mergeChanges(null, null)).toBeNull();
	});

	it('sums per section, in protocol order, with the later time and report', () => {
		const a = change('2026-01-01T00:00:00.000Z', 4, [
			{ section: 'software', added: 2, removed: 0, changed: 1 },
			{ section: 'os', added: 0, removed: 0, changed: 1 }
		]);
		const b = change('2026-01-02T00:00:00.000Z', 7, [
			{ section: 'software', added: 0, removed: 1, changed: 2 },
			{ section: 'memory', added: 0, removed: 0, changed: 1 }
		]);
		expect(mergeChanges(a, b)).toEqual({
			at: '2026-01-02T00:00:00.000Z',
			seq: 7,
			sections: [
				{ section: 'os', added: 0, removed: 0, changed: 1 },
				{ section: 'memory', added: 0, removed: 0, changed: 1 },
				{ section: 'software', added: 2, removed: 1, changed: 3 }
			],
			summary: 'os: changed; memory: 1 changed; software: 2 added, 1 removed, 3 changed'
		});
		// the two inputs are left as they were
		expect(a.sections[0]).toEqual({ section: 'software', added: 2, removed: 0, changed: 1 });
	});

	it('keeps the earlier report when the later one has none (applied directly, not by an agent)', () => {
		const a = change('2026-01-01T00:00:00.000Z', 3, [{ section: 'cpu', added: 0, removed: 0, changed: 1 }]);
		const b = change('2026-01-02T00:00:00.000Z', null, [
			{ section: 'cpu', added: 0, removed: 0, changed: 1 }
		]);
		expect(mergeChanges(a, b)).toMatchObject({ seq: 3, summary: 'cpu: changed' });
	});
});
