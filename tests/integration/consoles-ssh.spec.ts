// An ssh console end to end: a real sshd on loopback, a real agent, the credential sealed at rest and then
// for the agent and pipe only; never returned to a browser, never in the task record or the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, caller, signIn, startServer, type RunningServer } from '../helpers/server';
import { buildAgent, until, type RunningAgent } from '../helpers/agents';
import { startSshd, type Sshd } from '../helpers/sshd';
import { shellAgent, viewer, type Viewer } from '../helpers/consoles';

describe.each(await dbKinds())('ssh consoles on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let sshd: Sshd;
	let admin: string;
	let call: ReturnType<typeof caller>;
	let agent: RunningAgent;
	let deviceId: number;
	const open: Viewer[] = [];

	beforeAll(async () => {
		buildAgent();
		sshd = await startSshd();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		call = caller(server, admin);
		const groupId = (await call<{ id: number }>('groups.create', { name: 'edge' }, 'mutation')).id;
		({ agent, deviceId } = await shellAgent(server, admin, groupId));
	});
	afterAll(async () => {
		for (const v of open) v.close();
		await agent?.stop();
		await server?.stop();
		await sshd?.stop();
		await pgdb?.drop();
	});

	it('fails without a credential, connects once a key is stored, and carries keys and breaks', async () => {
		const c = await call<{ id: number }>(
			'consoles.create',
			{
				name: 'edge-ssh',
				deviceId,
				target: {
					kind: 'ssh',
					host: sshd.host,
					port: sshd.port,
					username: sshd.user,
					hostKeySha256: sshd.hostKeySha256
				}
			},
			'mutation'
		);
		const v = await viewer(server.url, admin, c.id);
		open.push(v);
		expect((await v.join()).ok).toBe(true);
		await v.waitForRoom((r) => r.state === 'failed' || r.state === 'retrying', 20_000);

		const key = sshd.keyWithPassphrase;
		await call(
			'consoles.setCredential',
			{ id: c.id, privateKey: key.privateKey, passphrase: key.passphrase },
			'mutation'
		);
		await v.waitForRoom((r) => r.state === 'open', 20_000);
		expect(await v.type('echo ssh-$((5*5))\n')).toEqual({ ok: true });
		await v.waitFor(/ssh-25/);
		expect(await v.sendBreak()).toEqual({ ok: true });
		await until(async () => /request break/i.test(sshd.log()));

		// the credential never comes back: not in the console, not in the task record, not in the audit log
		const everything = JSON.stringify([
			await call('consoles.get', { id: c.id }),
			await call('consoles.list', {}),
			await call('tasks.list', { deviceId }),
			await call('audit.list', { targetType: 'console' })
		]);
		expect(everything).toContain('"credential":"set"');
		expect(everything).not.toContain('PRIVATE KEY');
		expect(everything).not.toContain(key.passphrase);
		const opens = (
			await call<{ kind: string; args: { secret?: unknown } }[]>('tasks.list', { deviceId })
		).filter((t) => t.kind === 'console-open');
		expect(opens.length).toBeGreaterThanOrEqual(2);
		expect(opens.some((t) => t.args.secret === '(sealed)')).toBe(true);
	});

	it('pins the host key it met on first use', async () => {
		const c = await call<{ id: number }>(
			'consoles.create',
			{
				name: 'edge-tofu',
				deviceId,
				target: { kind: 'ssh', host: sshd.host, port: sshd.port, username: sshd.user }
			},
			'mutation'
		);
		await call('consoles.setCredential', { id: c.id, privateKey: sshd.key.privateKey }, 'mutation');
		await call('consoles.stop', { id: c.id }, 'mutation');
		await call('consoles.start', { id: c.id }, 'mutation');
		const pinned = await until(async () => {
			const row = await call<{ state: string; target: { hostKeySha256?: string } }>('consoles.get', {
				id: c.id
			});
			return row.target.hostKeySha256 ? row : null;
		}, 20_000);
		expect(pinned.target.hostKeySha256).toBe(sshd.hostKeySha256);
		const audit = await call<{ action: string }[]>('audit.list', { action: 'console.host-key-pinned' });
		expect(audit).toHaveLength(1);
	});

	it('refuses a credential for a console that is not ssh, and clears one', async () => {
		const sh = await call<{ id: number }>(
			'consoles.create',
			{ name: 'edge-sh', deviceId, target: { kind: 'shell' }, persistent: false },
			'mutation'
		);
		const r = await caller(server, admin)(
			'consoles.setCredential',
			{ id: sh.id, password: 'x' },
			'mutation'
		).catch((e: Error) => e.message);
		expect(r).toMatch(/Only SSH consoles/);
		const [ssh] = await call<{ id: number }[]>('consoles.list', { search: 'edge-ssh' });
		expect(await call('consoles.clearCredential', { id: ssh.id }, 'mutation')).toEqual({
			id: ssh.id,
			credential: 'not set'
		});
	});

	if (process.getuid?.() === 0)
		it('logs in with a stored password', async () => {
			const pw = sshd.password!;
			const c = await call<{ id: number }>(
				'consoles.create',
				{
					name: 'edge-pw',
					deviceId,
					target: { kind: 'ssh', host: sshd.host, port: sshd.port, username: pw.user }
				},
				'mutation'
			);
			await call('consoles.setCredential', { id: c.id, password: pw.password }, 'mutation');
			await call('consoles.stop', { id: c.id }, 'mutation');
			await call('consoles.start', { id: c.id }, 'mutation');
			const v = await viewer(server.url, admin, c.id);
			open.push(v);
			expect((await v.join()).ok).toBe(true);
			await v.waitForRoom((r) => r.state === 'open', 20_000);
			await v.type('echo pw-$((7*6)) $(id -un)\n');
			await v.waitFor(new RegExp(`pw-42 ${pw.user}`));
		});
});
