// The records a node committed, held for its line indexer: handed out only as an unbroken run right after what
// is indexed, forgotten once indexed, bounded in bytes (past the bound the indexer reads the database).
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../../src/server/accesslog/batch';
import { RecentRecords } from '../../../src/server/accesslog/indexer';

const rec = (consoleId: number, seq: number, bytes = 10): StoredRecord => ({
	consoleId,
	seq,
	kind: 'output',
	at: new Date(1_700_000_000_000 + seq),
	deviceId: 1,
	data: Buffer.alloc(bytes, 0x61)
});
const seqs = (rs: StoredRecord[]) => rs.map((r) => r.seq);

describe('records held for the line indexer', () => {
	it('hands out the run after what is indexed, at most `limit`, per console', () => {
		const r = new RecentRecords();
		r.add([rec(1, 1), rec(1, 2), rec(2, 1), rec(1, 3), rec(1, 4)]);
		expect(seqs(r.after(1, 0, 2))).toEqual([1, 2]);
		expect(seqs(r.after(1, 2, 10))).toEqual([3, 4]);
		expect(seqs(r.after(2, 0, 10))).toEqual([1]);
		// indexed up to 4: forgotten
		expect(r.after(1, 4, 10)).toEqual([]);
		expect(r.heldBytes).toBe(10);
	});

	it('hands out nothing when what follows the indexed seq is not held (another node wrote it)', () => {
		const r = new RecentRecords();
		r.add([rec(1, 5), rec(1, 6), rec(1, 8)]);
		expect(r.after(1, 3, 10)).toEqual([]);
		expect(seqs(r.after(1, 4, 10))).toEqual([5, 6]);
		// 7 is in the database only: the run stops before the gap
		expect(r.after(1, 6, 10)).toEqual([]);
		expect(seqs(r.after(1, 7, 10))).toEqual([8]);
		expect(r.hasPast(1, 7)).toBe(true);
		expect(r.hasPast(1, 8)).toBe(false);
	});

	it('holds at most its bound; what did not fit is read from the database, and counted as committed', () => {
		const r = new RecentRecords(25);
		r.add([rec(1, 1), rec(1, 2), rec(1, 3), rec(1, 4)]);
		expect(r.heldBytes).toBe(20);
		expect(seqs(r.after(1, 0, 10))).toEqual([1, 2]);
		expect(r.hasPast(1, 2)).toBe(true); // 3 and 4 were committed: the indexer goes on, from the database
		expect(r.after(1, 4, 10)).toEqual([]);
		expect(r.heldBytes).toBe(0);
		r.add([rec(1, 5)]);
		expect(seqs(r.after(1, 4, 10))).toEqual([5]);
	});
});
