// A pipe's output buffer: numbering, chunk size, retention until stored, resend after a reconnect.
import { describe, expect, it } from 'vitest';
import { FLOW_HIGH_BYTES, FLOW_LOW_BYTES, PipeOutput } from '../../../agent/src/modules/consoles/output';
import { PIPE_MAX_CHUNK_BYTES } from '../../../src/lib/protocol/consoles';

const KiB = 1024;
const bytes = (n: number, fill = 120) => Buffer.alloc(n, fill);

/** Takes every unsent chunk as the manager does. */
function drain(o: PipeOutput) {
	const out: { seq: number; size: number }[] = [];
	for (let c = o.nextUnsent(); c; c = o.nextUnsent()) {
		out.push({ seq: c.seq, size: c.data.length });
		o.markSent(c.seq);
	}
	return out;
}

describe('pipe output', () => {
	it('numbers chunks from 1 and splits reads larger than a chunk', () => {
		const o = new PipeOutput(1024 * KiB);
		o.append(bytes(150 * KiB), 1);
		expect(drain(o)).toEqual([
			{ seq: 1, size: PIPE_MAX_CHUNK_BYTES },
			{ seq: 2, size: PIPE_MAX_CHUNK_BYTES },
			{ seq: 3, size: 150 * KiB - 2 * PIPE_MAX_CHUNK_BYTES }
		]);
		expect(o.nextSeq).toBe(4);
	});

	it('joins reads that arrive before a send into one chunk, but never grows a sent one', () => {
		const o = new PipeOutput(1024 * KiB);
		o.append(Buffer.from('ab'), 10);
		o.append(Buffer.from('cd'), 11);
		const c = o.nextUnsent()!;
		expect(c).toMatchObject({ seq: 1, at: 10 });
		expect(c.data.toString()).toBe('abcd');
		o.markSent(1);
		o.append(Buffer.from('ef'), 12);
		expect(o.nextUnsent()).toMatchObject({ seq: 2, at: 12 });
	});

	it('keeps chunks until stored, and resends everything after the stored one after a reconnect', () => {
		const o = new PipeOutput(1024 * KiB);
		for (let i = 0; i < 5; i++) {
			o.append(bytes(10), i);
			drain(o);
		}
		expect(o.retainedFrom).toBe(1);
		o.stored(2);
		expect(o.retainedFrom).toBe(3);
		expect(o.hasUnsent).toBe(false);
		o.resumeAfter(3);
		expect(drain(o).map((c) => c.seq)).toEqual([4, 5]);
		o.stored(5);
		expect(o.empty).toBe(true);
		expect(o.retainedBytes).toBe(0);
	});

	it('drops the oldest chunks past retainBytes and counts what was lost', () => {
		const o = new PipeOutput(128 * KiB);
		for (let i = 0; i < 10; i++) o.append(bytes(40 * KiB), i);
		expect(o.retainedBytes).toBeLessThanOrEqual(128 * KiB);
		const lost = o.takeLost();
		expect(lost).toBe(400 * KiB - o.retainedBytes);
		expect(o.takeLost()).toBe(0);
		const left = drain(o);
		expect(left[0].seq).toBe(o.retainedFrom);
		expect(left.map((c) => c.seq)).toEqual(left.map((_, i) => left[0].seq + i));
		expect(left.at(-1)!.seq).toBe(o.nextSeq - 1);
	});

	it('asks to pause past the unsent mark or near the retention, and to resume once sent and stored', () => {
		const flow: boolean[] = [];
		const o = new PipeOutput(4096 * KiB, (hold) => flow.push(hold));
		o.append(bytes(FLOW_HIGH_BYTES - 1), 1);
		expect(flow).toEqual([]);
		o.append(bytes(1), 2);
		expect(flow).toEqual([true]);
		expect(o.unsentBytes).toBe(FLOW_HIGH_BYTES);
		// Sending brings it under the low mark: resumed, although nothing was stored.
		drain(o);
		expect(o.unsentBytes).toBe(0);
		expect(flow).toEqual([true, false]);
		// Sent but never stored: paused 1 MiB below the retention, before anything is dropped.
		while (!o.holding) {
			o.append(bytes(48 * KiB), 3);
			drain(o);
		}
		expect(o.retainedBytes).toBeGreaterThanOrEqual(3072 * KiB);
		expect(o.retainedBytes).toBeLessThan(3072 * KiB + 48 * KiB);
		expect(o.takeLost()).toBe(0);
		// After a reconnect everything retained is unsent again: still held until it went out and was stored.
		o.resumeAfter(0);
		expect(o.unsentBytes).toBe(o.retainedBytes);
		drain(o);
		expect(o.holding).toBe(true);
		o.stored(o.nextSeq - 1);
		expect(o.holding).toBe(false);
		expect(flow).toEqual([true, false, true, false]);
		expect(FLOW_LOW_BYTES).toBeLessThan(FLOW_HIGH_BYTES);
	});
});
