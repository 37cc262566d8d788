// Flow control of console pipes with a real PTY: a flood into a link that does not acknowledge (or is down)
// blocks the program instead of growing the agent's memory or dropping output, and once the server stores
// again every line arrives, in order, once. A target that cannot be paused still loses its oldest output as
// the last resort, and the room hears of it.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
	consoleOpenArgsSchema,
	PIPE_MAX_CHUNK_BYTES,
	type ConsoleOpenArgsInput
} from '../../../src/lib/protocol/consoles';
import { PipeManager } from '../../../agent/src/modules/consoles/manager';
import { FLOW_HIGH_BYTES } from '../../../agent/src/modules/consoles/output';
import type { Driver, DriverFactory } from '../../../agent/src/modules/consoles/drivers/types';
import { DRIVERS } from '../../../agent/src/modules/consoles/drivers';
import { fakeAgent, type FakeAgent } from './fake-ctx';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let agent: FakeAgent | null = null;
let manager: PipeManager | null = null;
afterEach(() => {
	manager?.stopAll();
	agent?.stop();
	agent = manager = null;
});

/** A manager of its own on the fake link, so the test sees the pipe's buffers and decides every ack. */
function setup(drivers?: Record<string, DriverFactory>) {
	const a = (agent = fakeAgent({ consoles: { allow: ['shell'] } }));
	const m = (manager = new PipeManager(a.ctx, drivers));
	m.linkReady();
	return { a, m };
}

async function open(
	m: PipeManager,
	args: Partial<ConsoleOpenArgsInput> & Pick<ConsoleOpenArgsInput, 'target'>
) {
	const parsed = consoleOpenArgsSchema.parse({ consoleId: 1, pipeId: randomUUID(), ...args });
	const r = await m.open(parsed);
	expect(r.state).toBe('open');
	return { id: r.pipeId, pipe: m.get(r.pipeId)! };
}

/**
 * Reads what the agent emitted for a pipe as a deduplicating server would (each seq once, in order, no gap),
 * checks it is `seq 1 N` line by line, and forgets it, so the test holds little itself.
 */
class SeqReader {
	nextSeq = 1;
	nextLine = 1;
	bytes = 0;
	done = false;
	private rest = '';
	constructor(
		private readonly a: FakeAgent,
		private readonly pipeId: string
	) {}

	take(): number {
		const keep: typeof this.a.emitted = [];
		for (const e of this.a.emitted) {
			if (e.event !== 'pipe:output' || e.m.pipeId !== this.pipeId) {
				keep.push(e);
				continue;
			}
			if (e.m.seq < this.nextSeq) continue; // sent again after a reconnect
			expect(e.m.seq, 'output in order, without gaps').toBe(this.nextSeq);
			this.nextSeq++;
			this.bytes += e.m.data.length;
			this.lines(Buffer.from(e.m.data).toString('latin1'));
		}
		this.a.emitted.splice(0, this.a.emitted.length, ...keep);
		return this.nextSeq - 1;
	}

	private lines(text: string): void {
		const parts = (this.rest + text).split('\r\n');
		this.rest = parts.pop()!;
		for (const l of parts) {
			if (l === 'END') this.done = true;
			else if (/^\d+$/.test(l)) {
				if (Number(l) !== this.nextLine) expect(l, `line ${this.nextLine}`).toBe(String(this.nextLine));
				this.nextLine++;
			}
		}
	}
}

/**
 * `seq 1 n`, then END. `stay`: the shell then waits instead of exiting, because node-pty closes the PTY 200 ms
 * after the program's exit (the agent holds the slave side open, so the end is never seen earlier).
 */
const seqCommand = (n: number, stay = true) => ({
	kind: 'shell' as const,
	command: '/bin/sh',
	args: ['-c', `stty -echo; sleep 0.2; seq 1 ${n}; echo END${stay ? '; exec sleep 600' : ''}`]
});
const noReconnect = { reconnect: { enabled: false, baseMs: 1000, capMs: 30_000 } };
const lostMessages = (a: FakeAgent, id: string) =>
	a.states(id).filter((s) => /were lost/.test(s.message ?? ''));

/** Waits until nothing new was emitted for `quietMs`. */
async function untilStalled(a: FakeAgent, r: SeqReader, quietMs = 600) {
	let seen = -1;
	let since = Date.now();
	for (const end = Date.now() + 20_000; Date.now() < end; await sleep(20)) {
		r.take();
		if (r.nextSeq !== seen) {
			seen = r.nextSeq;
			since = Date.now();
		} else if (Date.now() - since >= quietMs) return;
	}
	throw new Error('the output never stopped');
}

describe('console pipe flow control', { timeout: 120_000 }, () => {
	it('blocks a flooding PTY while the server does not acknowledge, and loses nothing once it does', async () => {
		const { a, m } = setup();
		const retainBytes = 4 * MiB;
		const lines = 4_000_000; // about 32 MB through the PTY, eight times the retention
		const { id, pipe } = await open(m, { target: seqCommand(lines), retainBytes, ...noReconnect });
		const r = new SeqReader(a, id);

		await untilStalled(a, r);
		// Everything sent is unacknowledged: it stays under the retention, and so does what the agent holds.
		expect(r.bytes).toBeGreaterThan(2 * MiB);
		expect(r.bytes).toBeLessThanOrEqual(retainBytes);
		expect(pipe.output.retainedBytes).toBeLessThanOrEqual(retainBytes);
		expect(pipe.output.holding).toBe(true);
		expect(r.done).toBe(false);
		expect(pipe.state).toBe('open');

		let maxRetained = 0;
		while (!(r.done && pipe.output.empty)) {
			const upTo = r.take();
			maxRetained = Math.max(maxRetained, pipe.output.retainedBytes);
			if (upTo) m.stored(id, upTo);
			await sleep(5);
		}
		expect(r.nextLine - 1).toBe(lines);
		expect(maxRetained).toBeLessThanOrEqual(retainBytes);
		expect(pipe.output.takeLost()).toBe(0);
		await sleep(1100);
		expect(lostMessages(a, id)).toEqual([]);
	});

	it('keeps at most the output window in flight until the server reports what it received', async () => {
		const { a, m } = setup();
		const window = 256 * 1024;
		m.linkReady(window);
		const lines = 1_000_000; // about 6.9 MB through the PTY
		const { id, pipe } = await open(m, { target: seqCommand(lines), retainBytes: 32 * MiB, ...noReconnect });
		const r = new SeqReader(a, id);
		await untilStalled(a, r);
		expect(r.bytes).toBeGreaterThanOrEqual(window - PIPE_MAX_CHUNK_BYTES);
		expect(r.bytes).toBeLessThanOrEqual(window + PIPE_MAX_CHUNK_BYTES);
		// The flood waits in the agent's pipe (up to the unsent mark), with the PTY paused.
		await sleep(300);
		expect(pipe.output.holding).toBe(true);
		expect(pipe.output.unsentBytes).toBeLessThan(FLOW_HIGH_BYTES + 128 * 1024);

		// The server stores, and reports what it received: the window moves on, never past itself.
		let received = 0;
		let maxInFlight = 0;
		while (!(r.done && pipe.output.empty)) {
			const upTo = r.take();
			if (upTo) m.stored(id, upTo);
			maxInFlight = Math.max(maxInFlight, r.bytes - received);
			received = r.bytes;
			m.received(received);
			await sleep(2);
		}
		expect(r.nextLine - 1).toBe(lines);
		expect(maxInFlight).toBeLessThanOrEqual(window + PIPE_MAX_CHUNK_BYTES);
		expect(pipe.output.takeLost()).toBe(0);
	});

	it('holds a flood at the unsent mark while the link is down and resends from what was stored after it', async () => {
		const { a, m } = setup();
		const lines = 1_500_000;
		const { id, pipe } = await open(m, { target: seqCommand(lines), retainBytes: 32 * MiB, ...noReconnect });
		const r = new SeqReader(a, id);
		await a.waitFor(() => r.take() >= 3, 'the first output');
		m.stored(id, 2);
		a.down();
		m.linkDown();
		await untilStalled(a, r);
		const sent = r.bytes;
		await sleep(500);
		// The PTY is blocked: what waits is about the unsent mark (plus one read), not the retention.
		expect(pipe.output.unsentBytes).toBeGreaterThanOrEqual(FLOW_HIGH_BYTES);
		expect(pipe.output.unsentBytes).toBeLessThan(FLOW_HIGH_BYTES + 128 * 1024);
		expect(pipe.output.retainedBytes).toBeLessThan(sent + FLOW_HIGH_BYTES + 128 * 1024);
		expect(pipe.output.holding).toBe(true);

		// The server restarted and stored up to seq 2: the rest goes again, then the flood continues.
		a.answerInventory = (items) => ({
			resume: items.map((i) => ({ pipeId: i.pipeId, storedSeq: 2 })),
			close: []
		});
		a.up();
		m.linkReady();
		await a.waitFor(() => a.output(id).length > 0, 'the resend');
		expect(a.output(id)[0].seq).toBe(3);
		while (!(r.done && pipe.output.empty)) {
			const upTo = r.take();
			if (upTo) m.stored(id, upTo);
			await sleep(5);
		}
		expect(r.nextLine - 1).toBe(lines);
		expect(pipe.output.takeLost()).toBe(0);
		expect(lostMessages(a, id)).toEqual([]);
	});

	it('delivers the last output of a program that exits while its output is held', async () => {
		const { a, m } = setup();
		// Held at 128 KiB not stored (half the retention: the other half is room for what the PTY still holds);
		// the rest of the 157 KB (mostly) fits in the PTY's buffers, so the program exits while it is held or
		// as soon as it is read again: either way its last lines must arrive.
		const lines = 24_000;
		const { id, pipe } = await open(m, {
			target: seqCommand(lines, false),
			retainBytes: 256 * 1024,
			...noReconnect
		});
		const r = new SeqReader(a, id);
		await untilStalled(a, r, 1000);
		// held, or (when the PTY took the rest) the program exited while held and its output was read to the end
		expect(r.done || r.bytes <= 128 * 1024 + PIPE_MAX_CHUNK_BYTES).toBe(true);
		while (!(r.done && pipe.finished && pipe.output.empty)) {
			const upTo = r.take();
			if (upTo) m.stored(id, upTo);
			if (pipe.finished && !r.done && pipe.output.empty) break;
			await sleep(5);
		}
		expect(r.done).toBe(true);
		expect(r.nextLine - 1).toBe(lines);
		expect(pipe.message).toMatch(/the shell exited \(code 0\)/);
		expect(lostMessages(a, id)).toEqual([]);
	});

	it('still drops the oldest output of a target that cannot be paused, and tells the room', async () => {
		// A target whose pause does nothing, like a serial port without flow control.
		let pauses = 0;
		const unpausable: DriverFactory = async (o) => {
			const timer = setInterval(() => o.events.data(Buffer.alloc(16 * 1024, 0x78)), 1);
			const d: Driver = {
				description: 'a target that cannot be paused',
				write: () => {},
				resize: () => {},
				sendBreak: () => {},
				pause: () => void pauses++,
				resume: () => {},
				close: () => clearInterval(timer)
			};
			return d;
		};
		const { a, m } = setup({ ...DRIVERS, shell: unpausable } as Record<string, DriverFactory>);
		const { id, pipe } = await open(m, { target: { kind: 'shell' }, retainBytes: 256 * 1024 });
		await a.waitFor(() => lostMessages(a, id).length > 0, 'the loss in the status line');
		expect(pauses).toBeGreaterThan(0);
		expect(lostMessages(a, id)[0].message).toMatch(
			/^\d+ bytes of output were lost: the agent's buffer \(262144 bytes\) filled before the server stored them$/
		);
		expect(pipe.output.retainedBytes).toBeLessThanOrEqual(256 * 1024);
	});
});
