// Enrolment with real agent processes against a real server over real TLS: the happy path and every
// refusal (wrong, expired, used-up, revoked token; wrong CA pin; plaintext; a certificate from another CA).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { agentCmd, agentFiles, buildAgent, cli, pinOf, rawLink, tempDir, tokenFrom } from '../helpers/agents';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A CA that is not Fleetdesk's, and a certificate from it (for impersonation in both directions). */
async function foreignCert(opts: { uri?: string; dns?: string[]; ip?: string[]; server?: boolean }) {
	const caKeys = (await crypto.webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
	const now = Date.now();
	const ca = await x509.X509CertificateGenerator.createSelfSigned({
		serialNumber: '01',
		name: 'CN=Not Fleetdesk CA',
		notBefore: new Date(now - 60_000),
		notAfter: new Date(now + 86_400_000),
		keys: caKeys,
		signingAlgorithm: EC,
		extensions: [new x509.BasicConstraintsExtension(true, 0, true)]
	});
	const keys = (await crypto.webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
	const names = [
		...(opts.uri ? [{ type: 'url' as const, value: opts.uri }] : []),
		...(opts.dns ?? []).map((v) => ({ type: 'dns' as const, value: v })),
		...(opts.ip ?? []).map((v) => ({ type: 'ip' as const, value: v }))
	];
	const cert = await x509.X509CertificateGenerator.create({
		serialNumber: '02',
		subject: `CN=${opts.uri ?? 'localhost'}`,
		issuer: ca.subject,
		notBefore: new Date(now - 60_000),
		notAfter: new Date(now + 86_400_000),
		signingKey: caKeys.privateKey,
		publicKey: keys.publicKey,
		signingAlgorithm: EC,
		extensions: [
			new x509.SubjectAlternativeNameExtension(names),
			new x509.ExtendedKeyUsageExtension([
				opts.server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth
			])
		]
	});
	const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
	return {
		ca: ca.toString('pem'),
		cert: cert.toString('pem'),
		key: crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
			type: 'pkcs8',
			format: 'pem'
		}) as string
	};
}

function httpsGet(port: number, p: string, creds: { ca: string; cert?: string; key?: string }) {
	return new Promise<{ status: number; body: string }>((resolve, reject) => {
		const req = https.request(
			{ host: '127.0.0.1', port, path: p, method: 'GET', agent: false, ...creds },
			(res) => {
				let body = '';
				res.on('data', (d) => (body += d));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
			}
		);
		req.on('error', reject);
		req.end();
	});
}

describe.each(await dbKinds())('agent enrolment on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let env: Record<string, string>;
	let gatewayUrl: string;
	let webGroupId: number;

	/** A join token for group "web" from the desktop's API (the CLI is tested on its own below). */
	const token = async (ttlSeconds = 3600, uses = 1) => {
		const r = await trpcCall(
			server.url,
			cookie,
			'agents.tokens.create',
			{ groupId: webGroupId, ttlSeconds, uses },
			'mutation'
		);
		expect(r.status).toBe(200);
		return (r.body.result!.data as { token: string }).token;
	};
	const enrol = (t: string, dir = tempDir(), extra: string[] = []) =>
		agentCmd(['enroll', '--server', gatewayUrl, '--token', t, '--dir', dir, ...extra]);
	const refusals = async (tokenId: string) => {
		const r = await trpcCall(server.url, cookie, 'audit.list', {
			action: 'agent.enroll-refused',
			limit: 100
		});
		return (r.body.result!.data as { targetId: string; after: { reason: string } }[]).filter(
			(e) => e.targetId === tokenId
		);
	};
	const agentCount = async () =>
		((await trpcCall(server.url, cookie, 'agents.list')).body.result!.data as unknown[]).length;

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		env = pgdb ? { DATABASE_URL: pgdb.url } : { FLEETDESK_DATA_DIR: server.dataDir, DATABASE_URL: '' };
		gatewayUrl = `https://127.0.0.1:${server.agentPort}`;
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const g = await trpcCall(server.url, cookie, 'groups.create', { name: 'web' }, 'mutation');
		webGroupId = (g.body.result!.data as { id: number }).id;
	});
	afterAll(async () => {
		await server?.stop();
		await pgdb?.drop();
	});

	it('enrols a host: private files, a certificate from the pinned CA, a Device CI, a device in the group', async () => {
		const t = await token(3600, 2);
		const dir = path.join(tempDir(), 'identity');
		const r = await enrol(t, dir);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/Enrolled as agent [0-9a-f-]{36}/);

		expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
		for (const f of ['agent.key', 'agent.crt', 'ca.crt', 'task-signing.pub', 'identity.json'])
			expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
		const files = agentFiles(dir);
		const cert = new crypto.X509Certificate(files.cert);
		const ca = new crypto.X509Certificate(files.ca);
		expect(cert.checkIssued(ca)).toBe(true);
		expect(cert.verify(ca.publicKey)).toBe(true);
		expect(cert.subjectAltName).toBe(`URI:urn:fleetdesk:agent:${files.agentId}`);
		expect(cert.subject).toBe(`CN=urn:fleetdesk:agent:${files.agentId}`);
		// the key in the certificate is the one generated on this host
		expect(cert.publicKey.equals(crypto.createPublicKey(files.key))).toBe(true);
		// the CA on disk is the one the token pins, and the gateway presents a chain to it
		expect(pinOf(files.ca)).toBe(t.split('.')[3]);
		const signing = crypto.createPublicKey(fs.readFileSync(path.join(dir, 'task-signing.pub'), 'utf8'));
		expect(signing.asymmetricKeyType).toBe('ed25519');

		const agents = (await trpcCall(server.url, cookie, 'agents.list')).body.result!.data as {
			id: string;
			deviceId: number;
			ciId: number;
			groupIds: number[];
			online: boolean;
		}[];
		const a = agents.find((x) => x.id === files.agentId)!;
		expect(a).toBeTruthy();
		expect(a.online).toBe(false);
		expect(a.groupIds).toEqual([webGroupId]);
		const devices = (await trpcCall(server.url, cookie, 'groups.devices')).body.result!.data as {
			id: number;
			groupIds: number[];
		}[];
		expect(devices.find((d) => d.id === a.deviceId)?.groupIds).toEqual([webGroupId]);
		const ci = (await trpcCall(server.url, cookie, 'cmdb.get', { id: a.ciId })).body.result!.data as {
			ci: { className?: string; name: string; data: Record<string, unknown> };
		};
		expect(JSON.stringify(ci)).toContain(files.agentId);
		expect(JSON.stringify(ci)).toContain('"Device"');

		const audit = (await trpcCall(server.url, cookie, 'audit.list', { action: 'agent.enroll', limit: 10 }))
			.body.result!.data as { action: string; targetId: string }[];
		expect(audit.some((e) => e.action === 'agent.enroll' && e.targetId === files.agentId)).toBe(true);

		// the same host enrolling again (second use of the token) is a new identity and a new device
		const again = await enrol(t, dir, ['--force']);
		expect(again.code).toBe(0);
		const second = agentFiles(dir);
		expect(second.agentId).not.toBe(files.agentId);
		const all = (await trpcCall(server.url, cookie, 'agents.list')).body.result!.data as typeof agents;
		expect(all.find((x) => x.id === second.agentId)!.deviceId).not.toBe(a.deviceId);
		// without --force an existing identity is not overwritten
		const refused = await enrol(t, dir);
		expect(refused.code).toBe(1);
		expect(refused.stderr).toContain('already holds an agent identity');
	});

	it('refuses a used-up token, and audits it', async () => {
		const t = await token();
		expect((await enrol(t)).code).toBe(0);
		const before = await agentCount();
		const r = await enrol(t);
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('The server refused the enrolment');
		expect(await agentCount()).toBe(before);
		expect((await refusals(t.split('.')[1])).map((e) => e.after.reason)).toEqual(['token used up']);
	});

	it('refuses a wrong token secret and an unknown token id, and audits both', async () => {
		const t = await token();
		const [p, id, secret, pin] = t.split('.');
		const wrongSecret = [p, id, secret.slice(0, -4) + (secret.endsWith('AAAA') ? 'BBBB' : 'AAAA'), pin].join(
			'.'
		);
		const before = await agentCount();
		const r = await enrol(wrongSecret);
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('join token is not valid');
		expect((await refusals(id)).map((e) => e.after.reason)).toEqual(['wrong secret']);
		const unknown = [p, 'aaaaaaaaaaaaaaaa', secret, pin].join('.');
		expect((await enrol(unknown)).code).toBe(1);
		expect((await refusals('aaaaaaaaaaaaaaaa')).map((e) => e.after.reason)).toEqual(['unknown token']);
		expect(await agentCount()).toBe(before);
		// the right secret still works: the refusals used nothing up
		expect((await enrol(t)).code).toBe(0);
	});

	it('refuses an expired token', async () => {
		const t = await token(1);
		await new Promise((r) => setTimeout(r, 1200));
		const r = await enrol(t);
		expect(r.code).toBe(1);
		expect((await refusals(t.split('.')[1])).map((e) => e.after.reason)).toEqual(['token expired']);
	});

	it('fleetdesk token create / revoke / list; a revoked token is refused', async () => {
		const created = await cli(
			['token', 'create', '--group', 'web', '--ttl', '1h', '--note', 'to revoke'],
			env
		);
		expect(created.stderr).toBe('');
		expect(created.stdout).toMatch(/1 enrolment, valid until/);
		const t = tokenFrom(created.stdout);
		const id = t.split('.')[1];
		const rev = await cli(['token', 'revoke', id], env);
		expect(rev.stdout).toContain(`Revoked join token ${id}`);
		const r = await enrol(t);
		expect(r.code).toBe(1);
		expect((await refusals(id)).map((e) => e.after.reason)).toEqual(['token revoked']);
		const list = await cli(['token', 'list'], env);
		expect(list.stdout).toMatch(new RegExp(`${id}\\s+web\\s+revoked\\s+0/1`));
		expect(list.stdout).not.toContain(t.split('.')[2]);
	});

	it('does not send the token to a server that lacks the pinned CA (impersonation)', async () => {
		// A TLS server with a certificate from another CA, valid for 127.0.0.1: it records every byte it gets.
		const fake = await foreignCert({ ip: ['127.0.0.1'], dns: ['localhost'], server: true });
		let received = 0;
		let connections = 0;
		const impostor = tls.createServer({ key: fake.key, cert: fake.cert.trim() + '\n' + fake.ca }, (s) => {
			s.on('data', (d) => (received += d.length));
			s.on('error', () => {});
		});
		impostor.on('connection', () => connections++);
		impostor.on('tlsClientError', () => {});
		await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
		const port = (impostor.address() as net.AddressInfo).port;
		const t = await token();
		const r = await agentCmd([
			'enroll',
			'--server',
			`https://127.0.0.1:${port}`,
			'--token',
			t,
			'--dir',
			tempDir()
		]);
		await new Promise((res) => setTimeout(res, 200));
		impostor.close();
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('does not hold the Fleetdesk CA this join token was made for');
		expect(connections).toBe(1);
		expect(received).toBe(0);

		// the real server with a token whose pin is not its CA: the agent refuses before sending, nothing used
		const [p, id, secret] = t.split('.');
		const wrongPin = [p, id, secret, pinOf(fake.ca)].join('.');
		const r2 = await enrol(wrongPin);
		expect(r2.code).toBe(1);
		expect(r2.stderr).toContain('does not hold the Fleetdesk CA');
		expect(await refusals(id)).toEqual([]);
		expect((await enrol(t)).code).toBe(0);
	});

	it('fails the TLS handshake of a plaintext connection', async () => {
		await expect(
			fetch(`http://127.0.0.1:${server.agentPort}/enroll`, { method: 'POST', body: '{}' })
		).rejects.toThrow();
		const got = await new Promise<string>((resolve) => {
			const s = net.connect(server.agentPort, '127.0.0.1', () =>
				s.write('POST /enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}')
			);
			let data = '';
			s.on('data', (d) => (data += d.toString('latin1')));
			s.on('close', () => resolve(data));
			s.on('error', () => {});
		});
		expect(got).not.toContain('HTTP/1.1');
		expect(server.output()).toMatch(/refused 127\.0\.0\.1: TLS handshake failed/);
	});

	it('allows nothing but enrolment without a certificate, and refuses certificates from another CA', async () => {
		const dir = tempDir();
		expect((await enrol(await token(), dir)).code).toBe(0);
		const files = agentFiles(dir);

		// no client certificate: every path but POST /enroll is refused, and so is the link
		expect((await httpsGet(server.agentPort, '/', { ca: files.ca })).status).toBe(403);
		expect((await httpsGet(server.agentPort, '/enroll', { ca: files.ca })).status).toBe(405);
		await expect(rawLink(server.agentPort, { ca: files.ca })).rejects.toThrow();

		// a certificate from another CA that claims to be the enrolled agent
		const forged = await foreignCert({ uri: `urn:fleetdesk:agent:${files.agentId}` });
		await expect(
			rawLink(server.agentPort, { ca: files.ca, cert: forged.cert, key: forged.key })
		).rejects.toThrow();
		expect(
			(await httpsGet(server.agentPort, '/', { ca: files.ca, cert: forged.cert, key: forged.key })).status
		).toBe(403);
		expect(server.output()).toMatch(/refused .*link without a client certificate from this Fleetdesk's CA/);

		// the genuine certificate gets through TLS and the identity check (404: no such path)
		expect(
			(await httpsGet(server.agentPort, '/', { ca: files.ca, cert: files.cert, key: files.key })).status
		).toBe(404);
		const link = await rawLink(server.agentPort, { ca: files.ca, cert: files.cert, key: files.key });
		link.close();
	});
});
