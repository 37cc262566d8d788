// The shell kind with a real PTY running /bin/sh, driven through the consoles module as the server would.
import { afterEach, describe, expect, it } from 'vitest';
import { fakeAgent, type FakeAgent } from './fake-ctx';

const type = (a: FakeAgent, pipeId: string, text: string) =>
	a.server('pipe:input', { pipeId, data: Buffer.from(text) });

let agent: FakeAgent | null = null;
afterEach(() => {
	agent?.stop();
	agent = null;
});

describe('shell consoles', () => {
	it('run a shell in a PTY: input, output, resize, and a new shell after exit', async () => {
		const a = (agent = fakeAgent({ consoles: { allow: ['shell'] } }));
		const r = await a.open({
			target: { kind: 'shell', command: '/bin/sh' },
			cols: 90,
			rows: 20,
			reconnect: { enabled: true, baseMs: 100, capMs: 1000 }
		});
		expect(r.state).toBe('open');
		const id = r.pipeId;

		type(a, id, 'echo hi-$((40+2))\r');
		await a.waitForText(id, 'hi-42');
		type(a, id, 'stty size\r');
		await a.waitForText(id, '20 90');
		a.server('pipe:resize', { pipeId: id, cols: 120, rows: 33 });
		type(a, id, 'stty size\r');
		await a.waitForText(id, '33 120');

		type(a, id, 'exit\r');
		await a.waitFor(() => a.states(id).some((s) => s.state === 'retrying'), 'retrying');
		const retrying = a.states(id).find((s) => s.state === 'retrying')!;
		expect(retrying.message).toMatch(/the shell exited \(code 0\); retrying in [\d.]+ s/);
		await a.waitFor(() => a.states(id).at(-1)?.state === 'open', 'the shell to reopen');
		type(a, id, 'echo again-$((1+1))\r');
		await a.waitForText(id, 'again-2');

		// Numbered from 1 without gaps.
		const seqs = a.output(id).map((m) => m.seq);
		expect(seqs).toEqual(seqs.map((_, i) => i + 1));
		for (const m of a.output(id)) expect(m.data.length).toBeGreaterThan(0);

		const closed = await a.task('console-close', { pipeId: id });
		expect(closed).toEqual({ pipeId: id, state: 'closed' });
		expect(a.states(id).at(-1)).toMatchObject({ state: 'closed', message: 'closed by the server' });
	});

	it('refuses the shell kind unless the config allows it, and users the config does not list', async () => {
		const a = (agent = fakeAgent());
		await expect(a.open({ target: { kind: 'shell' } })).rejects.toThrow(
			'This agent does not open shell consoles: add "shell" to consoles.allow in its config.'
		);
		const b = fakeAgent({ consoles: { allow: ['shell'] } });
		try {
			await expect(b.open({ target: { kind: 'shell', user: 'mallory' } })).rejects.toThrow(
				/Shells as mallory are not allowed on this agent/
			);
		} finally {
			b.stop();
		}
	});

	if (process.getuid?.() === 0)
		it('as root, runs the shell as the configured user with that user’s groups only', async () => {
			const a = (agent = fakeAgent({ consoles: { allow: ['shell'], shell: { user: 'nobody' } } }));
			const r = await a.open({ target: { kind: 'shell', command: '/bin/sh' } });
			type(a, r.pipeId, 'echo "ids:$(id -u):$(id -G)"\r');
			await a.waitForText(r.pipeId, /ids:65534:\d+/);
			const m = /ids:65534:([\d ]+)/.exec(a.text(r.pipeId))!;
			expect(m[1].trim().split(' ')).not.toContain('0');
		});
});
