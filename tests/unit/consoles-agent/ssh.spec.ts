// The ssh kind against a real OpenSSH server on loopback, with credentials sealed for the agent.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sealSecret, type SecretPlaintext } from '../../../src/lib/protocol/sealed-secret';
import { startSshd, type Sshd } from '../../helpers/sshd';
import { agentKeys, fakeAgent, type FakeAgent } from './fake-ctx';

let sshd: Sshd;
beforeAll(async () => {
	sshd = await startSshd();
});
afterAll(async () => {
	await sshd?.stop();
});

let agent: FakeAgent | null = null;
afterEach(() => {
	agent?.stop();
	agent = null;
});

async function openSsh(
	a: FakeAgent,
	secret: SecretPlaintext,
	o: { username?: string; hostKeySha256?: string; cols?: number; rows?: number } = {}
) {
	const pipeId = randomUUID();
	return a.open({
		pipeId,
		target: {
			kind: 'ssh',
			host: sshd.host,
			port: sshd.port,
			username: o.username ?? sshd.user,
			...(o.hostKeySha256 !== undefined ? { hostKeySha256: o.hostKeySha256 } : {})
		},
		secret: await sealSecret(a.publicPem, pipeId, secret),
		cols: o.cols ?? 80,
		rows: o.rows ?? 24,
		reconnect: { enabled: true, baseMs: 100, capMs: 1000 }
	});
}

const type = (a: FakeAgent, pipeId: string, text: string) =>
	a.server('pipe:input', { pipeId, data: Buffer.from(text) });

describe('ssh consoles', { timeout: 30_000 }, () => {
	it('log in with a private key, check the pinned host key, type, resize, break, and reconnect', async () => {
		const a = (agent = fakeAgent());
		const r = await openSsh(
			a,
			{ privateKey: sshd.key.privateKey },
			{
				hostKeySha256: sshd.hostKeySha256,
				cols: 100,
				rows: 30
			}
		);
		expect(r).toMatchObject({ state: 'open', hostKeySha256: sshd.hostKeySha256 });
		expect(a.states(r.pipeId).at(-1)?.message).toContain(
			`ssh: connected to ${sshd.user}@127.0.0.1:${sshd.port}`
		);
		type(a, r.pipeId, 'echo ssh-$((2+3))\r');
		await a.waitForText(r.pipeId, 'ssh-5');
		type(a, r.pipeId, 'stty size\r');
		await a.waitForText(r.pipeId, '30 100');
		a.server('pipe:resize', { pipeId: r.pipeId, cols: 132, rows: 40 });
		type(a, r.pipeId, 'stty size\r');
		await a.waitForText(r.pipeId, '40 132');

		a.server('pipe:break', { pipeId: r.pipeId });
		await a.waitFor(() => /request break/.test(sshd.log()), 'sshd to log the break request');

		type(a, r.pipeId, 'exit\r');
		await a.waitFor(() => a.states(r.pipeId).some((s) => s.state === 'retrying'), 'retrying');
		await a.waitFor(() => a.states(r.pipeId).at(-1)?.state === 'open', 'the ssh session to reopen');
		type(a, r.pipeId, 'echo back-$((3+4))\r');
		await a.waitForText(r.pipeId, 'back-7');
	});

	it('pins nothing when the console has no fingerprint, and reports the one it saw', async () => {
		const a = (agent = fakeAgent());
		const r = await openSsh(a, {
			privateKey: sshd.keyWithPassphrase.privateKey,
			passphrase: 'correct horse'
		});
		expect(r).toMatchObject({ state: 'open', hostKeySha256: sshd.hostKeySha256 });
	});

	it('refuses a host whose key does not match the pinned fingerprint, without retrying', async () => {
		const a = (agent = fakeAgent());
		const wrong = 'A'.repeat(43);
		await expect(openSsh(a, { privateKey: sshd.key.privateKey }, { hostKeySha256: wrong })).rejects.toThrow(
			/does not match the console's pinned key/
		);
		const failed = a.emitted.filter((e) => e.event === 'pipe:state' && e.m.state === 'failed');
		expect(failed).toHaveLength(1);
		expect(a.emitted.some((e) => e.event === 'pipe:state' && e.m.state === 'retrying')).toBe(false);
	});

	it('fails when the server refuses the credential', async () => {
		const a = (agent = fakeAgent());
		await expect(openSsh(a, { privateKey: sshd.otherKey.privateKey })).rejects.toThrow(
			`ssh: ${sshd.user}@127.0.0.1:${sshd.port} refused the credential`
		);
	});

	it('fails when the credential was sealed for another agent', async () => {
		const a = (agent = fakeAgent());
		const pipeId = randomUUID();
		await expect(
			a.open({
				pipeId,
				target: { kind: 'ssh', host: sshd.host, port: sshd.port, username: sshd.user },
				secret: await sealSecret(agentKeys().publicPem, pipeId, { privateKey: sshd.key.privateKey })
			})
		).rejects.toThrow(/could not be opened: it was sealed for another agent/);
	});

	it('fails without a credential', async () => {
		const a = (agent = fakeAgent());
		await expect(
			a.open({ target: { kind: 'ssh', host: sshd.host, port: sshd.port, username: sshd.user } })
		).rejects.toThrow('ssh: the console has no password or private key; set one on the console');
	});

	if (process.getuid?.() === 0)
		it('logs in with a password', async () => {
			const a = (agent = fakeAgent());
			const pw = sshd.password!;
			const r = await openSsh(a, { password: pw.password }, { username: pw.user });
			expect(r.state).toBe('open');
			type(a, r.pipeId, 'echo "user=$(id -un)"\r');
			await a.waitForText(r.pipeId, `user=${pw.user}`);
			await expect(openSsh(a, { password: 'wrong' }, { username: pw.user })).rejects.toThrow(
				/refused the credential/
			);
		});
});
