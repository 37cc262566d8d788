import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD, ROOT, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { connectDesktop, nextEvent } from '../helpers/socket';

function cli(dataDir: string, args: string[], stdin = '') {
	return spawnSync(process.execPath, [path.join(ROOT, 'build', 'cli.js'), ...args], {
		cwd: ROOT,
		input: stdin,
		encoding: 'utf8',
		env: { ...process.env, FLEETDESK_DATA_DIR: dataDir, DATABASE_URL: '' }
	});
}

describe('the production server on the embedded database', () => {
	let server: RunningServer;
	let admin: string;

	beforeAll(async () => {
		server = await startServer({ FLEETDESK_LOGIN_RATE_PER_MINUTE: '8' });
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
	});
	afterAll(() => server?.stop());

	it('answers /healthz with the database kind and version', async () => {
		const res = await fetch(`${server.url}/healthz`);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ status: 'ok', db: 'pglite', version: expect.any(String) });
	});

	it('sets security headers and a CSP without inline scripts', async () => {
		const res = await fetch(`${server.url}/login`);
		expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		const csp = res.headers.get('content-security-policy') ?? '';
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toMatch(/script-src 'self'( 'sha256-[^']+')*;/);
		expect(csp).not.toContain("'unsafe-inline' 'self'; script");
	});

	it('refuses a wrong password and an unknown user with the same answer', async () => {
		const attempt = (username: string) =>
			fetch(`${server.url}/login`, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					origin: server.url,
					accept: 'application/json'
				},
				body: new URLSearchParams({ username, password: 'definitely-wrong' })
			}).then(async (r) => ({ status: r.status, text: (await r.text()).replace(username, 'USER') }));
		const wrong = await attempt('admin');
		const unknown = await attempt('ghost');
		expect(wrong.text).toContain('Wrong username or password');
		expect(unknown).toEqual(wrong);
	});

	it('ignores X-Forwarded-Proto unless told to trust a proxy', async () => {
		const res = await fetch(`${server.url}/login`, {
			method: 'POST',
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				origin: server.url,
				'x-forwarded-proto': 'https'
			},
			body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD }),
			redirect: 'manual'
		});
		const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fleetdesk_session='))!;
		expect(cookie).toBeDefined();
		expect(cookie).not.toMatch(/Secure/i);
	});

	it('refuses state-changing requests from another origin (CSRF)', async () => {
		const res = await fetch(`${server.url}/api/trpc/users.create`, {
			method: 'POST',
			headers: { cookie: admin, origin: 'http://evil.example', 'content-type': 'application/json' },
			body: JSON.stringify({ username: 'mallory', password: 'long-enough-password' })
		});
		expect(res.status).toBe(403);
		const list = await trpcCall(server.url, admin, 'users.list');
		expect(JSON.stringify(list.body)).not.toContain('mallory');
	});

	it('refuses sockets without a session or from another origin', async () => {
		await expect(connectDesktop(server.url, null)).rejects.toThrow(/Sign in/);
		await expect(connectDesktop(server.url, admin, 'http://evil.example')).rejects.toThrow();
		const ok = await connectDesktop(server.url, admin);
		expect(ok.connected).toBe(true);
		ok.close();
	});

	it('delivers a notification live to the user it is for', async () => {
		const socket = await connectDesktop(server.url, admin);
		const got = nextEvent<{ title: string }>(socket, 'notification');
		const sent = await trpcCall(
			server.url,
			admin,
			'desktop.notify',
			{ audience: { type: 'user', userId: 1 }, title: 'Disk almost full' },
			'mutation'
		);
		expect(sent.status).toBe(200);
		expect((await got).title).toBe('Disk almost full');
		socket.close();
	});

	it('locking a user ends their sessions and disconnects their live socket at once', async () => {
		const created = await trpcCall(
			server.url,
			admin,
			'users.create',
			{ username: 'olga', password: 'olga-password-1', roleIds: [2] },
			'mutation'
		);
		expect(created.status).toBe(200);
		const olga = await signIn(server.url, 'olga', 'olga-password-1');
		const socket = await connectDesktop(server.url, olga);
		const ended = nextEvent<string>(socket, 'session:ended');
		const gone = nextEvent(socket, 'disconnect');
		const id = (created.body.result!.data as { id: number }).id;
		expect(
			(await trpcCall(server.url, admin, 'users.setLocked', { id, locked: true }, 'mutation')).status
		).toBe(200);
		expect(await ended).toMatch(/locked/);
		await gone;
		expect((await trpcCall(server.url, olga, 'system.info')).status).toBe(401);
	});

	it('signing out ends the session on the server', async () => {
		const cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		expect((await trpcCall(server.url, cookie, 'system.info')).status).toBe(200);
		const res = await fetch(`${server.url}/logout`, {
			method: 'POST',
			headers: { cookie, origin: server.url },
			redirect: 'manual'
		});
		expect(res.status).toBe(303);
		expect((await trpcCall(server.url, cookie, 'system.info')).status).toBe(401);
	});

	it('a Viewer cannot call admin procedures', async () => {
		await trpcCall(
			server.url,
			admin,
			'users.create',
			{ username: 'vic', password: 'vic-password-1', roleIds: [3] },
			'mutation'
		);
		const vic = await signIn(server.url, 'vic', 'vic-password-1');
		const res = await trpcCall(server.url, vic, 'users.list');
		expect(res.status).toBe(403);
		expect(res.body.error?.message).toMatch(/not allowed/);
	});

	it('the CLI works through the running server without opening the database twice', async () => {
		const add = cli(
			server.dataDir,
			['user', 'add', 'carol', '--role', 'Viewer', '--password-stdin'],
			'carol-password-1\n'
		);
		expect(add.stderr).toBe('');
		expect(add.stdout).toContain('Created user carol (Viewer)');
		const list = cli(server.dataDir, ['user', 'list']);
		expect(list.stdout).toMatch(/carol\s+Viewer\s+active/);
		const carol = await signIn(server.url, 'carol', 'carol-password-1');
		const socket = await connectDesktop(server.url, carol);
		const gone = nextEvent(socket, 'disconnect');
		expect(cli(server.dataDir, ['user', 'lock', 'carol']).stdout).toContain('Locked carol');
		await gone;
		const bad = cli(server.dataDir, ['user', 'add', 'dan', '--role', 'Nope']);
		expect(bad.status).toBe(1);
		expect(bad.stderr).toContain('There is no role named "Nope"');
		const audit = await trpcCall(server.url, admin, 'audit.list', { actor: 'cli:' });
		expect(JSON.stringify(audit.body)).toContain('user.lock');
	});

	it('rate-limits sign-in attempts per address', async () => {
		let last = 0;
		for (let i = 0; i < 10; i++) {
			const r = await fetch(`${server.url}/login`, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					origin: server.url,
					accept: 'text/html'
				},
				body: new URLSearchParams({ username: 'nobody', password: 'x' })
			});
			last = r.status;
			if (r.status === 429) break;
		}
		expect(last).toBe(429);
	});
});

describe('first start without a configured password', () => {
	it('prints a generated admin password once, and never again', async () => {
		const first = await startServer({ FLEETDESK_ADMIN_PASSWORD: '' });
		const match = first.output().match(/shown only this once\):\s+(\S+)/);
		expect(match).not.toBeNull();
		await signIn(first.url, 'admin', match![1]);
		await first.stop();
		const again = await startServer({ FLEETDESK_ADMIN_PASSWORD: '', FLEETDESK_DATA_DIR: first.dataDir });
		expect(again.output()).not.toContain(match![1]);
		expect(again.output()).not.toContain('First start');
		// the CLI opens the data dir itself when no server holds it
		await again.stop();
		const list = cli(first.dataDir, ['role', 'list']);
		expect(list.stdout).toMatch(/Administrator\s+1\s+full access/);
	});
});

describe('serving HTTPS itself', () => {
	it('uses the configured certificate and marks the session cookie Secure', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-tls-'));
		const gen = spawnSync('openssl', [
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:prime256v1',
			'-nodes',
			'-days',
			'1',
			'-subj',
			'/CN=127.0.0.1',
			'-addext',
			'subjectAltName=IP:127.0.0.1',
			'-keyout',
			path.join(dir, 'key.pem'),
			'-out',
			path.join(dir, 'cert.pem')
		]);
		expect(gen.status).toBe(0);
		const s = await startServer({
			FLEETDESK_TLS_CERT: path.join(dir, 'cert.pem'),
			FLEETDESK_TLS_KEY: path.join(dir, 'key.pem')
		});
		try {
			expect(s.output()).toContain(`https://127.0.0.1:${s.port}`);
			const ca = fs.readFileSync(path.join(dir, 'cert.pem'));
			const res = await new Promise<{ status: number; cookie: string; hsts: string }>((resolve, reject) => {
				const body = new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD }).toString();
				const req = https.request(
					`https://127.0.0.1:${s.port}/login`,
					{
						method: 'POST',
						ca,
						headers: {
							'content-type': 'application/x-www-form-urlencoded',
							origin: `https://127.0.0.1:${s.port}`
						}
					},
					(r) => {
						r.resume();
						resolve({
							status: r.statusCode!,
							cookie: String(r.headers['set-cookie'] ?? ''),
							hsts: String(r.headers['strict-transport-security'] ?? '')
						});
					}
				);
				req.on('error', reject);
				req.end(body);
			});
			expect(res.cookie).toMatch(/fleetdesk_session=.*; Secure/i);
			expect(res.hsts).toContain('max-age');
		} finally {
			await s.stop();
		}
	});
});
