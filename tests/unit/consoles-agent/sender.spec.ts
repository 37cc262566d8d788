// The agent's output sender and the server's window (protocol PIPE_OUTPUT_WINDOW_BYTES): at most the window is
// in flight until `pipe:received` moves it on; a new link starts with nothing in flight; a server that sets no
// window is bounded by the socket only; and a window whose reports never come is given up on, not stalled on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PIPE_MAX_CHUNK_BYTES } from '../../../src/lib/protocol/consoles';
import { OutputSender, WINDOW_STALL_MS } from '../../../agent/src/modules/consoles/sender';
import { PipeOutput } from '../../../agent/src/modules/consoles/output';
import type { Pipe } from '../../../agent/src/modules/consoles/pipe';

const KiB = 1024;

function rig() {
	const output = new PipeOutput(64 * 1024 * KiB);
	const pipe = { pipeId: 'p1', output } as unknown as Pipe;
	const sent: number[] = [];
	let stalls = 0;
	const sender = new OutputSender(
		{
			emit: ((_e: string, m: { data: Uint8Array }) => sent.push(m.data.length) > 0) as never,
			pendingBytes: () => 0
		},
		() => [pipe],
		() => true,
		() => {
			throw new Error('the link is up');
		},
		() => stalls++
	);
	const fill = (bytes: number) => {
		for (let n = 0; n < bytes; n += PIPE_MAX_CHUNK_BYTES)
			output.append(Buffer.alloc(Math.min(PIPE_MAX_CHUNK_BYTES, bytes - n), 0x41), Date.now());
	};
	const total = () => sent.reduce((a, b) => a + b, 0);
	return { sender, output, fill, total, stalls: () => stalls };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('console output window', () => {
	it('sends at most the window until the server reports, then moves on by what it reported', () => {
		const r = rig();
		r.sender.linkReady(256 * KiB);
		r.fill(1024 * KiB);
		r.sender.send();
		expect(r.total()).toBe(256 * KiB);
		expect(r.sender.inFlight).toBe(256 * KiB);
		vi.advanceTimersByTime(1000);
		expect(r.total(), 'no report, nothing more').toBe(256 * KiB);

		r.sender.received(64 * KiB);
		expect(r.total()).toBe(320 * KiB);
		r.sender.received(64 * KiB); // a report repeated (or late) moves nothing
		expect(r.total()).toBe(320 * KiB);
		r.sender.received(320 * KiB);
		expect(r.total()).toBe(576 * KiB);
		expect(r.output.unsentBytes).toBe(448 * KiB);
	});

	it('starts each link with nothing in flight, and sends without a window to a server that sets none', () => {
		const r = rig();
		r.sender.linkReady(128 * KiB);
		r.fill(512 * KiB);
		r.sender.send();
		expect(r.total()).toBe(128 * KiB);
		r.sender.linkReady(null);
		r.sender.send(); // bounded by the socket's queue only: 256 KiB a round
		vi.advanceTimersByTime(10);
		expect(r.total()).toBe(512 * KiB);
		expect(r.sender.inFlight).toBe(384 * KiB);
		r.sender.linkReady(128 * KiB);
		expect(r.sender.inFlight).toBe(0);
		// A report above what this link sent (a stale one from the last link) cannot open the window further.
		r.sender.received(10 * 1024 * KiB);
		r.fill(512 * KiB);
		r.sender.send();
		expect(r.total()).toBe(640 * KiB);
	});

	it('gives up on reports that never come: sends on after WINDOW_STALL_MS, and says so', () => {
		const r = rig();
		r.sender.linkReady(128 * KiB);
		r.fill(512 * KiB);
		r.sender.send();
		expect(r.total()).toBe(128 * KiB);
		// New output keeps trying to send; that does not put the stall off.
		vi.advanceTimersByTime(WINDOW_STALL_MS / 2);
		r.fill(64 * KiB);
		r.sender.schedule();
		vi.advanceTimersByTime(WINDOW_STALL_MS / 2 - 1);
		expect(r.stalls()).toBe(0);
		vi.advanceTimersByTime(1);
		expect(r.stalls()).toBe(1);
		expect(r.total()).toBe(256 * KiB);
		// Reports coming again work as before; the stall timer does not fire while they do.
		r.sender.received(256 * KiB);
		expect(r.total()).toBe(384 * KiB);
		r.sender.stop();
		vi.advanceTimersByTime(2 * WINDOW_STALL_MS);
		expect(r.stalls()).toBe(1);
	});
});
