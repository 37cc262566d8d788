// The pipe manager with a real PTY behind it and a faked link: sequence numbers, retention while the server
// is away, resend after a reconnect (as after a server crash), pacing, and the pipe's lifecycle.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PIPE_MAX_CHUNK_BYTES } from '../../../src/lib/protocol/consoles';
import { fakeAgent, type FakeAgent } from './fake-ctx';

const SHELL = { consoles: { allow: ['shell'] } };
const type = (a: FakeAgent, pipeId: string, text: string) =>
	a.server('pipe:input', { pipeId, data: Buffer.from(text) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let agent: FakeAgent | null = null;
afterEach(() => {
	agent?.stop();
	agent = null;
});

async function shell(a: FakeAgent, extra: Record<string, unknown> = {}) {
	const r = await a.open({ target: { kind: 'shell', command: '/bin/sh' }, ...extra });
	expect(r.state).toBe('open');
	return r.pipeId;
}

describe('console pipes', { timeout: 30_000 }, () => {
	it('keep output read while the link is down and resend what the server did not store, once, in order', async () => {
		const a = (agent = fakeAgent(SHELL));
		const id = await shell(a);
		type(a, id, 'echo before-$((1+1))\r');
		await a.waitForText(id, 'before-2');
		const sentBefore = a.output(id).length;
		// The server stored the first chunk only, then "crashed".
		a.server('pipe:stored', { pipeId: id, seq: 1 });
		type(a, id, '(sleep 0.3; echo during-$((2+2))) &\r');
		await sleep(50);
		a.down();
		await sleep(600);
		expect(a.output(id).length).toBeGreaterThanOrEqual(sentBefore);
		const whileDown = a.output(id).length;

		a.up();
		const inv = a.emitted.filter((e) => e.event === 'pipe:inventory').at(-1)!;
		expect(inv.event === 'pipe:inventory' && inv.items).toEqual([
			expect.objectContaining({ pipeId: id, consoleId: 1, state: 'open', retainedFrom: 2 })
		]);
		await a.waitForText(id, 'during-4');
		const resent = a.output(id).slice(whileDown);
		// Resent from seq 2 (after what was stored), strictly in order, up to the newest.
		expect(resent[0].seq).toBe(2);
		expect(resent.map((m) => m.seq)).toEqual(resent.map((_, i) => i + 2));
		const all = new Set(a.output(id).map((m) => m.seq));
		expect([...all].sort((x, y) => x - y)).toEqual([...all].map((_, i) => i + 1));
		expect(a.text(id)).toMatch(/before-2[\s\S]*during-4/);
	});

	it('pauses the shell instead of dropping output past retainBytes while the link is down', async () => {
		const a = (agent = fakeAgent(SHELL));
		const id = await shell(a, { retainBytes: 64 * 1024 });
		a.down();
		type(a, id, "head -c 300000 /dev/zero | tr '\\0' x; echo; echo done-$((3*3))\r");
		await sleep(1500);
		a.up();
		// Held below the retention while down: what the server gets first fits in it.
		await a.waitFor(() => a.output(id).length > 0, 'the held output');
		const inv = a.emitted.filter((e) => e.event === 'pipe:inventory').at(-1)!;
		expect(inv.event === 'pipe:inventory' && inv.items[0].retainedFrom).toBe(1);
		expect(inv.event === 'pipe:inventory' && inv.items[0].nextSeq).toBeLessThan(1 + 64 / 4 + 2);
		// The server stores what it gets, so the shell goes on, and all of it arrives.
		const ack = setInterval(() => {
			const last = a.output(id).at(-1);
			if (last) a.server('pipe:stored', { pipeId: id, seq: last.seq });
		}, 5);
		try {
			await a.waitForText(id, 'done-9');
		} finally {
			clearInterval(ack);
		}
		expect(a.text(id).match(/x{1000,}/)?.[0].length).toBe(300000);
		await sleep(1100);
		expect(a.states(id).filter((s) => /were lost/.test(s.message ?? ''))).toEqual([]);
	});

	it('holds output while the socket is full, and sends chunks no larger than the limit, coalesced', async () => {
		const a = (agent = fakeAgent(SHELL));
		const id = await shell(a);
		a.pending = 2 * 1024 * 1024;
		type(a, id, "head -c 2000000 /dev/zero | tr '\\0' y; echo; echo flood-$((5+5))\r");
		await sleep(1500);
		expect(a.output(id)).toHaveLength(0);
		a.pending = 0;
		await a.waitForText(id, 'flood-10');
		const sizes = a.output(id).map((m) => m.data.length);
		expect(Math.max(...sizes)).toBeLessThanOrEqual(PIPE_MAX_CHUNK_BYTES);
		// Far fewer frames than PTY reads (4 KiB at most each).
		expect(sizes.length).toBeLessThan(2_000_000 / 4096 / 2);
	});

	it('keeps input that overtook the open task or came while connecting, and types it once open', async () => {
		const a = (agent = fakeAgent(SHELL));
		const pipeId = randomUUID();
		// The server sends keystrokes on the link while the signed console-open task is still being checked.
		type(a, pipeId, 'echo early-$((2*21))\r');
		const opening = a.open({ pipeId, target: { kind: 'shell', command: '/bin/sh' } });
		type(a, pipeId, 'echo then-$((3*3))\r');
		expect((await opening).state).toBe('open');
		await a.waitForText(pipeId, /then-9/);
		// the commands' output (their echoes show the unexpanded $((...))), in the order they were typed
		expect(a.text(pipeId)).toMatch(/early-42\r?\n[\s\S]*then-9\r?\n/);
		// input for a pipe that never opens is not kept without bound
		for (let i = 0; i < 40; i++) type(a, randomUUID(), 'x'.repeat(70 * 1024));
	});

	it('sends a keystroke echo at once when nothing is queued', async () => {
		const a = (agent = fakeAgent(SHELL));
		const id = await shell(a);
		await sleep(300);
		const n = a.output(id).length;
		type(a, id, 'x');
		await a.waitFor(() => a.output(id).length > n, 'the echo');
		expect(Buffer.from(a.output(id)[n].data).toString()).toBe('x');
	});

	it('replaces the pipe of a console opened again, re-attaches to the same pipe, and honours maxPipes', async () => {
		const a = (agent = fakeAgent({ consoles: { allow: ['shell'], maxPipes: 2 } }));
		const first = await a.open({ consoleId: 7, target: { kind: 'shell', command: '/bin/sh' } });
		const again = await a.open({
			consoleId: 7,
			pipeId: first.pipeId,
			target: { kind: 'shell', command: '/bin/sh' }
		});
		expect(again).toEqual({ pipeId: first.pipeId, state: 'open' });
		expect(a.states(first.pipeId).filter((s) => s.state === 'open')).toHaveLength(1);

		const second = await a.open({ consoleId: 7, target: { kind: 'shell', command: '/bin/sh' } });
		expect(a.states(first.pipeId).at(-1)).toMatchObject({
			state: 'closed',
			message: 'replaced by a new pipe for this console'
		});
		await a.open({ consoleId: 8, target: { kind: 'shell', command: '/bin/sh' } });
		await expect(a.open({ consoleId: 9, target: { kind: 'shell', command: '/bin/sh' } })).rejects.toThrow(
			'This agent already runs 2 console pipes (consoles.maxPipes): close one or raise the limit.'
		);
		// Replacing a console's pipe does not count against the limit.
		await a.open({ consoleId: 8, target: { kind: 'shell', command: '/bin/sh' } });
		expect(a.states(second.pipeId).at(-1)?.state).toBe('open');
	});

	it('closes the pipes the server lists after a reconnect, ignores unknown pipes, and closes all on stop', async () => {
		const a = (agent = fakeAgent(SHELL));
		const keep = await shell(a);
		const drop = await a.open({ consoleId: 2, target: { kind: 'shell', command: '/bin/sh' } });
		a.down();
		a.answerInventory = (items) => ({
			resume: items.map((i) => ({ pipeId: i.pipeId, storedSeq: 0 })).filter((r) => r.pipeId === keep),
			close: [drop.pipeId]
		});
		a.up();
		await a.waitFor(() => a.states(drop.pipeId).at(-1)?.state === 'closed', 'the listed pipe to close');
		expect(a.states(keep).at(-1)?.state).toBe('open');

		for (const ev of ['pipe:input', 'pipe:resize', 'pipe:break', 'pipe:stored'] as const)
			a.server(ev, { pipeId: randomUUID(), data: Buffer.from('x'), cols: 80, rows: 24, seq: 1 });

		a.stop();
		expect(a.states(keep).at(-1)).toMatchObject({ state: 'closed', message: 'the agent is stopping' });
	});
});
