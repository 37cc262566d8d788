// The running link with real agent processes over mutual TLS: online/offline, one connection per identity,
// refused messages, exactly-once reports across a server restart, revocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { dbKinds, freshPostgres } from '../helpers/db';
import { connectDesktop } from '../helpers/socket';
import { backoffDelay } from '../../agent/src/link';
import { Outbox } from '../../agent/src/outbox';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import {
	agentCmd,
	agentFiles,
	buildAgent,
	cli,
	enrollWithNewToken,
	rawLink,
	type RunningAgent,
	startAgent,
	tempDir,
	until
} from '../helpers/agents';
import { EC_ALG, exportPkcs8, generateEcKeys, pkcs8Pem, x509 } from '../../src/server/agents/x509';

/** A PKCS#10 request for a new P-256 key, as an agent sends it to renew. */
async function newCsr(keys?: CryptoKeyPair): Promise<string> {
	const csr = await x509.Pkcs10CertificateRequestGenerator.create({
		name: 'CN=renewal-test',
		keys: keys ?? (await generateEcKeys()),
		signingAlgorithm: EC_ALG
	});
	return csr.toString('pem');
}

describe('the agent link, without a server', () => {
	it('backs off exponentially with full jitter, capped', () => {
		expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 1000, 60_000, () => 0.999999))).toEqual([
			999, 1999, 3999, 7999, 59_999
		]);
		expect(backoffDelay(5, 1000, 60_000, () => 0)).toBe(0);
		const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(6, 1000, 60_000)));
		expect(spread.size).toBeGreaterThan(40);
		for (const d of spread) expect(d).toBeLessThan(60_000);
	});

	it('keeps at most N reports, drops the oldest and counts them, numbers them after the first hello', () => {
		const box = new Outbox(10, 1024 * 1024);
		for (let i = 1; i <= 15; i++) box.push('event', { level: 'info', message: `m${i}` });
		expect(box.size).toBe(10);
		expect(box.dropped).toBe(5);
		expect(box.first()).toMatchObject({ seq: null, body: { message: 'm6' } });
		box.establish(41);
		expect(box.first()!.seq).toBe(42);
		// the buffer is full: a new report pushes out the oldest (#42)
		box.push('event', { level: 'info', message: 'later' });
		expect(box.dropped).toBe(6);
		// a later hello with an older server sequence never reuses numbers
		box.establish(3);
		const seqs: number[] = [];
		for (let p = box.first(); p; p = box.first()) {
			seqs.push(p.seq!);
			box.shift(p);
		}
		expect(seqs).toEqual([43, 44, 45, 46, 47, 48, 49, 50, 51, 52]);
		// a report larger than the link allows is never queued
		expect(box.push('event', { level: 'info', message: 'x'.repeat(2_000_000) })).toBe(false);
		expect(box.dropped).toBe(7);
	});
});

const FAST = { reconnect: { baseMs: 200, capMs: 1500 }, heartbeatSeconds: 5 };

interface AgentRow {
	id: string;
	online: boolean;
	revokedAt: string | null;
}
interface EventRow {
	seq: number;
	message: string;
}

describe.each(await dbKinds())('agent link on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let env: Record<string, string>;
	let groupId: number;
	const running: RunningAgent[] = [];

	const call = async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query') => {
		const r = await trpcCall(server.url, cookie, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const agentRow = async (id: string) => (await call<AgentRow[]>('agents.list')).find((a) => a.id === id)!;
	const events = (id: string) => call<EventRow[]>('agents.events', { id, limit: 1000 });
	const enrolled = () => enrollWithNewToken(server, cookie, groupId);
	const run = (dir: string) => {
		const a = startAgent(dir, FAST);
		running.push(a);
		return a;
	};
	const online = (id: string, want = true, ms = 10_000) =>
		until(async () => (await agentRow(id)).online === want, ms);

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		env = pgdb ? { DATABASE_URL: pgdb.url } : {};
		server = await startServer(env);
		if (!pgdb) env = { FLEETDESK_DATA_DIR: server.dataDir, DATABASE_URL: '' };
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		groupId = (await call<{ id: number }>('groups.create', { name: 'web' }, 'mutation')).id;
	});
	afterAll(async () => {
		for (const a of running) await a.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('goes online within seconds, reports that it started, and goes offline when stopped', async () => {
		const { dir, agentId } = await enrolled();
		// the desktop of a user with agents.read hears both changes live
		const desktop = await connectDesktop(server.url, cookie);
		const heard: { agentId: string; online: boolean }[] = [];
		desktop.on('agent:status', (e: { agentId: string; online: boolean }) => heard.push(e));
		try {
			const a = run(dir);
			await online(agentId);
			await until(async () => (await events(agentId)).some((e) => /started/.test(e.message)));
			expect(await a.stop()).toBe(0);
			await online(agentId, false, 5000);
			expect((await agentRow(agentId)).revokedAt).toBeNull();
			await until(async () => heard.length >= 2);
			expect(heard.map((e) => [e.agentId, e.online])).toEqual([
				[agentId, true],
				[agentId, false]
			]);
		} finally {
			desktop.close();
		}
	});

	it('refuses a second connection with the same identity, unknown messages, and reports for another agent', async () => {
		const A = await enrolled();
		const a = run(A.dir);
		await online(A.agentId);
		const second = await rawLink(server.agentPort, A).then(
			(s) => (s.close(), null),
			(e: Error & { data?: { code: string } }) => e
		);
		expect(second?.data?.code).toBe('already-connected');
		await until(async () => /already has a live connection/.test(server.output()));
		await a.stop();

		// A raw link with B's certificate, to send what a real agent never would.
		const B = await enrolled();
		const s: Socket = await rawLink(server.agentPort, B);
		try {
			const hello = await s.emitWithAck('hello', {
				agentId: B.agentId,
				agentVersion: 'test',
				hostname: 'raw',
				os: { platform: 'linux', release: '6', arch: 'x64' },
				protocol: 1,
				dropped: 0
			});
			expect(hello).toMatchObject({ ok: true, lastSeq: 0 });
			expect(await s.emitWithAck('bogus', { x: 1 })).toMatchObject({ ok: false, retry: false });
			await until(async () => server.output().includes('unknown message type "bogus"'));
			const report = (agentId: string, seq: number, message: string, k = 'event') =>
				s.emitWithAck('report', {
					agentId,
					seq,
					kind: k,
					at: new Date().toISOString(),
					body: { level: 'info', message }
				});
			expect(await report(A.agentId, 1, 'pretending to be A')).toMatchObject({ ok: false, retry: false });
			await until(async () => server.output().includes(`claims to come from agent ${A.agentId}`));
			expect(await report(B.agentId, 1, 'nope', 'format-disk')).toMatchObject({ ok: false, retry: false });
			expect(await report(B.agentId, 1, 'first')).toEqual({ ok: true, duplicate: false });
			expect(await report(B.agentId, 1, 'first again')).toEqual({ ok: true, duplicate: true });
			expect(await report(B.agentId, 2, 'second')).toEqual({ ok: true, duplicate: false });
			expect((await events(B.agentId)).map((e) => [e.seq, e.message])).toEqual([
				[2, 'second'],
				[1, 'first']
			]);
			expect((await events(A.agentId)).some((e) => e.message === 'pretending to be A')).toBe(false);

			// an oversized message ends the link
			const gone = new Promise((r) => s.once('disconnect', r));
			s.emit('report', {
				agentId: B.agentId,
				seq: 3,
				kind: 'event',
				at: new Date().toISOString(),
				body: { level: 'info', message: 'x'.repeat(2_000_000) }
			});
			await gone;
			expect((await events(B.agentId)).length).toBe(2);
		} finally {
			s.close();
		}
	});

	it('buffers while the server is down and delivers once, in order, after it restarts', async () => {
		const { dir, agentId } = await enrolled();
		const a = run(dir);
		await online(agentId);
		await until(async () => (await events(agentId)).length === 1);
		const mark = a.output().length;
		await server.stop();
		await a.waitFor(/disconnected/, 10_000, mark);
		for (let i = 1; i <= 5; i++) a.send(`event buffered-${i}`);
		await a.waitFor(/cannot connect/, 10_000, mark);

		server = await startServer({
			...env,
			FLEETDESK_DATA_DIR: server.dataDir,
			FLEETDESK_AGENT_PORT: String(server.agentPort)
		});
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		await online(agentId);
		const got = await until(async () => {
			const e = await events(agentId);
			return e.length >= 6 ? e : null;
		});
		await new Promise((r) => setTimeout(r, 300));
		const all = (await events(agentId)).reverse();
		expect(all.length).toBe(6);
		expect(got.length).toBe(6);
		expect(all.slice(1).map((e) => e.message)).toEqual([1, 2, 3, 4, 5].map((i) => `buffered-${i}`));
		const seqs = all.map((e) => e.seq);
		expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
		expect(new Set(seqs).size).toBe(6);
		await a.stop();
	});

	it('revocation disconnects the agent within a second and refuses it afterwards', async () => {
		const A = await enrolled();
		const a = run(A.dir);
		await online(A.agentId);
		const mark = a.output().length;
		const t0 = Date.now();
		await call('agents.revoke', { id: A.agentId }, 'mutation');
		const tGone = await a.waitFor(/disconnected/, 5000, mark);
		expect(tGone - t0).toBeLessThan(1000);
		expect(await a.exited).toBe(78);
		expect(a.output()).toMatch(/refused for good: This agent was revoked/);
		const again = await rawLink(server.agentPort, A).then(
			(s) => (s.close(), null),
			(e: Error & { data?: { code: string } }) => e
		);
		expect(again?.data?.code).toBe('revoked');
		expect((await agentRow(A.agentId)).revokedAt).not.toBeNull();
		expect((await agentRow(A.agentId)).online).toBe(false);

		// the CLI reaches the node holding the link (admin socket on PGlite, NOTIFY on PostgreSQL)
		const C = await enrolled();
		const c = run(C.dir);
		await online(C.agentId);
		const markC = c.output().length;
		const r = await cli(['agent', 'revoke', C.agentId], env);
		const tCli = Date.now();
		expect(r.stderr).toBe('');
		expect(r.stdout).toContain(`Revoked agent ${C.agentId}`);
		const tGoneC = await c.waitFor(/disconnected/, 5000, markC);
		expect(tGoneC - tCli).toBeLessThan(1000);
		expect(await c.exited).toBe(78);
		const list = await cli(['agent', 'list'], env);
		expect(list.stdout).toMatch(new RegExp(`${C.agentId}\\s+\\S+\\s+\\S+\\s+revoked`));
		const audit = await call<{ action: string; targetId: string }[]>('audit.list', {
			action: 'agent.revoke'
		});
		expect(audit.map((e) => e.targetId).sort()).toEqual([A.agentId, C.agentId].sort());
	});

	it('renews its certificate with a new key pair when asked (desktop or CLI, online or not); the identity stays and the old certificate is retired', async () => {
		const A = await enrolled();
		type Detail = { certSerial: string; certFingerprint: string; certRenewRequestedAt: string | null };
		const detail = (id: string) => call<Detail>('agents.get', { id });
		const before = await detail(A.agentId);

		// The server renews only when due or asked: a request on a fresh certificate is refused and audited.
		const raw = await rawLink(server.agentPort, A);
		try {
			expect(await raw.timeout(5000).emitWithAck('cert:renew', { csr: await newCsr() })).toEqual({
				ok: false,
				error: expect.stringMatching(/not due for renewal/)
			});
			expect(await raw.timeout(5000).emitWithAck('cert:renew', { csr: 42 })).toEqual({
				ok: false,
				error: 'The renewal request is malformed.'
			});
		} finally {
			raw.close();
		}
		expect((await detail(A.agentId)).certSerial).toBe(before.certSerial);

		// Asked from the desktop while online: a new key, a new certificate for the same agent id, a reconnect.
		const a = run(A.dir);
		await online(A.agentId);
		const mark = a.output().length;
		await call('agents.renewCertificate', { id: A.agentId }, 'mutation');
		await a.waitFor(/new agent certificate stored/, 10_000, mark);
		await a.waitFor(/link ready/, 10_000, mark);
		const after = await detail(A.agentId);
		expect(after.certSerial).not.toBe(before.certSerial);
		expect(after.certRenewRequestedAt).toBeNull();
		const files = agentFiles(A.dir);
		expect(files.agentId).toBe(A.agentId);
		expect(files.key).not.toBe(A.key);
		expect(files.cert).not.toBe(A.cert);
		expect(new crypto.X509Certificate(files.cert).fingerprint256).toBe(after.certFingerprint);
		expect(new crypto.X509Certificate(files.cert).subjectAltName).toContain(A.agentId);
		expect(fs.readdirSync(A.dir).filter((f) => f.endsWith('.next'))).toEqual([]);
		await online(A.agentId);
		// Once the new certificate was used, the old one is refused.
		const old = await rawLink(server.agentPort, A).then(
			(s) => (s.close(), null),
			(e: Error & { data?: { code: string } }) => e
		);
		expect(old?.data?.code).toBe('unknown-agent');
		await until(async () =>
			(await events(A.agentId)).some((e) =>
				/certificate renewed \(asked by an administrator\)/.test(e.message)
			)
		);

		// Asked with the CLI while the agent is stopped: it renews as soon as it connects again.
		await a.stop();
		await online(A.agentId, false);
		const r = await cli(['agent', 'renew', A.agentId], env);
		expect(r.stderr).toBe('');
		expect(r.stdout).toContain(`Asked agent ${A.agentId}`);
		expect((await detail(A.agentId)).certRenewRequestedAt).not.toBeNull();
		const a2 = run(A.dir);
		await a2.waitFor(/new agent certificate stored/, 15_000);
		await until(async () => (await detail(A.agentId)).certRenewRequestedAt === null);
		await online(A.agentId);
		const third = await detail(A.agentId);
		expect(third.certSerial).not.toBe(after.certSerial);
		expect(new crypto.X509Certificate(agentFiles(A.dir).cert).fingerprint256).toBe(third.certFingerprint);

		const audit = await call<{ action: string; targetId: string }[]>('audit.list', {
			targetType: 'agent',
			limit: 500
		});
		const actions = audit.filter((e) => e.targetId === A.agentId).map((e) => e.action);
		expect(actions.filter((x) => x === 'agent.cert-renew')).toHaveLength(2);
		expect(actions.filter((x) => x === 'agent.cert-renew-request')).toHaveLength(2);
		expect(actions).toContain('agent.cert-renew-refused');
	});

	it('still takes the old certificate when the agent never stored the new one, until the new one is used', async () => {
		const B = await enrolled();
		await call('agents.renewCertificate', { id: B.agentId }, 'mutation');
		// The agent "crashes" after the server issued the certificate: it never stores it.
		const keys = await generateEcKeys();
		const raw = await rawLink(server.agentPort, B);
		let issued: { ok: boolean; certificate?: string };
		try {
			issued = await raw.timeout(5000).emitWithAck('cert:renew', { csr: await newCsr(keys) });
		} finally {
			raw.close();
		}
		expect(issued.ok).toBe(true);
		await online(B.agentId, false);
		// The old certificate still gets in (the agent starts again with what it has on disk) …
		const again = await rawLink(server.agentPort, B);
		again.close();
		await online(B.agentId, false);
		// … the new one gets in, and from then on the old one is refused.
		const keyPem = pkcs8Pem(await exportPkcs8(keys.privateKey));
		const fresh = await until(() =>
			rawLink(server.agentPort, { ca: B.ca, cert: issued.certificate!, key: keyPem }).catch(() => null)
		);
		fresh.close();
		const old = await rawLink(server.agentPort, B).then(
			(s) => (s.close(), null),
			(e: Error & { data?: { code: string } }) => e
		);
		expect(old?.data?.code).toBe('unknown-agent');
	});
});

describe.runIf((await dbKinds()).includes('postgres'))(
	'agent link across two nodes on one PostgreSQL',
	() => {
		let pgdb: Awaited<ReturnType<typeof freshPostgres>>;
		let a: RunningServer;
		let b: RunningServer;
		const agents: RunningAgent[] = [];

		beforeAll(async () => {
			buildAgent();
			pgdb = await freshPostgres();
			a = await startServer({ DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-a' });
			b = await startServer({ DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-b' });
		});
		afterAll(async () => {
			for (const x of agents) await x.stop();
			await a?.stop();
			await b?.stop();
			await pgdb?.drop();
		});

		it('refuses the same identity on another node, and a revocation through node B disconnects it on node A', async () => {
			const cookieB = await signIn(b.url, 'admin', ADMIN_PASSWORD);
			const tok = await trpcCall(
				b.url,
				cookieB,
				'agents.tokens.create',
				{ groupId: 1, ttlSeconds: 600 },
				'mutation'
			);
			const token = (tok.body.result!.data as { token: string }).token;
			const dir = tempDir();
			// enrolled through node B's gateway, connected to node A's: one CA for both
			const r = await agentCmd([
				'enroll',
				'--server',
				`https://127.0.0.1:${b.agentPort}`,
				'--token',
				token,
				'--dir',
				dir
			]);
			expect(r.code, r.stderr).toBe(0);
			const files = agentFiles(dir);
			fs.writeFileSync(
				path.join(dir, 'identity.json'),
				JSON.stringify({
					...JSON.parse(fs.readFileSync(path.join(dir, 'identity.json'), 'utf8')),
					server: `https://127.0.0.1:${a.agentPort}`
				})
			);
			const agent = startAgent(dir, FAST);
			agents.push(agent);
			const row = async () =>
				(
					(await trpcCall(b.url, cookieB, 'agents.list')).body.result!.data as (AgentRow & {
						connectedNode: string;
					})[]
				).find((x) => x.id === files.agentId)!;
			await until(async () => (await row()).online);
			expect((await row()).connectedNode).toBe('node-a');

			const second = await rawLink(b.agentPort, files).then(
				(s) => (s.close(), null),
				(e: Error & { data?: { code: string } }) => e
			);
			expect(second?.data?.code).toBe('already-connected');

			const mark = agent.output().length;
			const t0 = Date.now();
			await trpcCall(b.url, cookieB, 'agents.revoke', { id: files.agentId }, 'mutation');
			const tGone = await agent.waitFor(/disconnected/, 5000, mark);
			expect(tGone - t0).toBeLessThan(1000);
			expect(await agent.exited).toBe(78);
		});
	}
);
