// Access-log forwarding on PGlite and PostgreSQL, to real listeners on loopback: RFC 5424 syslog over TCP and
// over TLS (a certificate made here with openssl; the CA is configured, an unknown CA is refused), and HTTPS
// JSON batches with a bearer token. The endpoint goes down and comes back: forwarding catches up from its
// cursor with nothing missing. Two nodes: one forwards at a time, the other takes over when it stops.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import type { Db } from '../../src/server/db/client';
import { accessLogForwarders, auditLog, consoles, devices } from '../../src/server/db/schema';
import {
	appendAccessLog,
	closeAccessLog,
	setAccessLogMasterKey,
	startAccessLogForwarding,
	type ForwardingHandle
} from '../../src/server/accesslog';
import { createCaller } from '../../src/server/trpc/router';
import { loadPrincipal } from '../../src/server/auth/permissions';
import { createUser } from '../../src/server/access/users';
import { findRoleByName } from '../../src/server/access/roles';
import { freePort } from '../helpers/server';

const system = { id: null, name: 'test' };

interface Received {
	console: string;
	seq: number;
	kind: string;
	text: string;
}

/** Parses octet-counted RFC 5424 messages (RFC 6587) off a stream. */
function frameReader(onMessage: (m: Received) => void) {
	let buf = Buffer.alloc(0);
	return (chunk: Buffer) => {
		buf = Buffer.concat([buf, chunk]);
		for (;;) {
			const sp = buf.indexOf(0x20);
			if (sp < 0) return;
			const n = Number(buf.subarray(0, sp).toString());
			if (buf.length < sp + 1 + n) return;
			const msg = buf.subarray(sp + 1, sp + 1 + n).toString('utf8');
			buf = buf.subarray(sp + 1 + n);
			const m = /^<\d+>1 \S+ \S+ fleetdesk (\S+) (\S+) \[fleetdesk@32473 ([^\]]*)\] \ufeff?([\s\S]*)$/.exec(
				msg
			);
			if (!m) throw new Error(`not RFC 5424: ${msg}`);
			onMessage({ console: m[1], kind: m[2], seq: Number(/ seq="(\d+)"/.exec(m[3])![1]), text: m[4] });
		}
	};
}

/** A syslog receiver that can go down and come back on the same port. */
class Listener {
	received: Received[] = [];
	private server: net.Server | null = null;
	private sockets = new Set<net.Socket>();
	constructor(
		readonly port: number,
		private readonly tlsOptions?: tls.TlsOptions
	) {}
	async up(): Promise<void> {
		const onConn = (s: net.Socket) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
			s.on('error', () => {});
			s.on(
				'data',
				frameReader((m) => this.received.push(m))
			);
		};
		this.server = this.tlsOptions ? tls.createServer(this.tlsOptions, onConn) : net.createServer(onConn);
		this.server.on('tlsClientError', () => {});
		await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
	}
	async down(): Promise<void> {
		for (const s of this.sockets) s.destroy();
		await new Promise((r) => this.server?.close(r));
		this.server = null;
	}
	seqs(console: string): number[] {
		return [...new Set(this.received.filter((m) => m.console === console).map((m) => m.seq))].sort(
			(a, b) => a - b
		);
	}
}

async function until<T>(what: string, fn: () => Promise<T | false> | T | false, ms = 30_000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v !== false) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A CA and a server certificate for 127.0.0.1 / localhost, made with openssl. */
function certificates(): { ca: string; otherCa: string; key: string; cert: string } {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-fwd-'));
	const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
	run(
		'req',
		'-x509',
		...ec,
		'-keyout',
		'ca.key',
		'-out',
		'ca.pem',
		'-days',
		'2',
		'-subj',
		'/CN=Test syslog CA'
	);
	run('req', '-x509', ...ec, '-keyout', 'o.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=Other CA');
	run('req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost');
	fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
	run(
		'x509',
		'-req',
		'-in',
		'srv.csr',
		'-CA',
		'ca.pem',
		'-CAkey',
		'ca.key',
		'-CAcreateserial',
		'-out',
		'srv.pem',
		'-days',
		'2',
		'-extfile',
		'ext'
	);
	const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
	return { ca: read('ca.pem'), otherCa: read('other.pem'), key: read('srv.key'), cert: read('srv.pem') };
}

describe.each(await dbKinds())('access-log forwarding on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let caller: ReturnType<typeof createCaller>;
	let target: { consoleId: number; deviceId: number };
	const certs = certificates();
	const running: ForwardingHandle[] = [];
	let n = 0;

	const forward = (nodeId: string) => {
		const h = startAccessLogForwarding(db, { nodeId, pollMs: 50, leaseMs: 3000, graceMs: 300 });
		running.push(h);
		return h;
	};
	const write = (count: number) =>
		Promise.all(
			range(1, count).map(() =>
				appendAccessLog(db, {
					...target,
					kind: 'output',
					at: new Date(),
					data: Buffer.from(`line ${++n} of the console\r\n`)
				})
			)
		);

	beforeAll(async () => {
		setAccessLogMasterKey(Buffer.from('access log forwarding test key material, 32+'));
		database = await openTestDb(kind);
		db = database.db;
		const [d] = await db.insert(devices).values({ name: 'edge1' }).returning();
		const [c] = await db
			.insert(consoles)
			.values({ name: 'edge1:serial', deviceId: d.id, kind: 'shell', target: { kind: 'shell' } })
			.returning();
		target = { consoleId: c.id, deviceId: d.id };
		const admin = await createUser(db, system, {
			username: 'fwd-admin',
			password: 'long-enough-password',
			roleIds: [(await findRoleByName(db, 'Administrator'))!.id]
		});
		caller = createCaller({
			db,
			user: await loadPrincipal(db, { id: admin.id, username: admin.username }),
			sessionId: null,
			ip: '127.0.0.1'
		});
		await write(10);
	});
	afterAll(async () => {
		await Promise.all(running.map((h) => h.stop()));
		await closeAccessLog(db);
		await database?.dispose();
	});

	it('streams over TCP, survives the receiver going away, and catches up with nothing missing', async () => {
		const listener = new Listener(await freePort());
		await listener.up();
		const f = await caller.accessLogs.forwarders.create({
			name: 'siem-tcp',
			kind: 'syslog-tcp',
			host: '127.0.0.1',
			port: listener.port,
			startAt: 'beginning'
		});
		const h = forward('node-a');
		await until('the first records', () => listener.seqs('edge1:serial').length >= 10);
		await write(20);
		await until('the next records', () => listener.seqs('edge1:serial').length >= 30);
		expect(listener.received.find((m) => m.seq === 3)).toMatchObject({
			kind: 'output',
			text: 'line 3 of the console\r\n'
		});

		await listener.down();
		await write(40);
		await until('the outage to be noticed', async () => {
			const [row] = await db.select().from(accessLogForwarders).where(eq(accessLogForwarders.id, f.id));
			return !!row.lastError;
		});
		expect((await caller.accessLogs.forwarders.list())[0].behind).toBeGreaterThan(0);
		await listener.up();
		await until('catch-up', () => listener.seqs('edge1:serial').length >= 70);
		expect(listener.seqs('edge1:serial')).toEqual(range(1, 70));
		const status = await until('the cursor', async () => {
			const [s] = await caller.accessLogs.forwarders.list();
			return s.behind === 0 && s.lastError === null ? s : false;
		});
		expect(status).toMatchObject({ node: 'node-a', sentRecords: 70 });
		await h.stop();
		await listener.down();
		await caller.accessLogs.forwarders.delete({ id: f.id });
	});

	it('forwards over TLS only to a server whose certificate the configured CA signed', async () => {
		const listener = new Listener(await freePort(), { key: certs.key, cert: certs.cert });
		await listener.up();
		const f = await caller.accessLogs.forwarders.create({
			name: 'siem-tls',
			kind: 'syslog-tls',
			host: '127.0.0.1',
			port: listener.port,
			caPem: certs.otherCa,
			startAt: 'now'
		});
		const h = forward('node-a');
		await write(5);
		const refused = await until('the certificate to be refused', async () => {
			const [row] = await db.select().from(accessLogForwarders).where(eq(accessLogForwarders.id, f.id));
			return row.lastError ?? false;
		});
		expect(refused).toMatch(/certificate/i);
		expect(listener.received).toHaveLength(0);
		await caller.accessLogs.forwarders.update({ id: f.id, patch: { caPem: certs.ca } });
		const last = n;
		await until('delivery over TLS', () => listener.seqs('edge1:serial').includes(last));
		// Started "now": only what was written after the forwarder was created.
		expect(listener.seqs('edge1:serial')).toEqual(range(last - 4, last));
		await h.stop();
		await listener.down();
		await caller.accessLogs.forwarders.delete({ id: f.id });
	});

	it('posts JSON batches over HTTPS with the token, retrying until accepted', async () => {
		const got: { seq: number; data: string }[] = [];
		let auth = '';
		let seen: http.IncomingHttpHeaders = {};
		let refuse = 2;
		const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
			const parts: Buffer[] = [];
			req.on('data', (c) => parts.push(c));
			req.on('end', () => {
				auth = req.headers.authorization ?? '';
				seen = req.headers;
				if (refuse-- > 0) return void res.writeHead(503).end();
				got.push(
					...(JSON.parse(Buffer.concat(parts).toString()) as { records: { seq: number; data: string }[] })
						.records
				);
				res.writeHead(204).end();
			});
		});
		const port = await freePort();
		await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
		const f = await caller.accessLogs.forwarders.create({
			name: 'collector',
			kind: 'https',
			url: `https://127.0.0.1:${port}/ingest`,
			caPem: certs.ca,
			token: 'secret-token-123',
			startAt: 'now'
		});
		expect(f).toMatchObject({ hasToken: true });
		expect(JSON.stringify(f)).not.toContain('secret-token-123');
		const h = forward('node-a');
		await write(3);
		await until('HTTPS delivery', () => got.length >= 3);
		expect(auth).toBe('Bearer secret-token-123');
		expect(Buffer.from(got[0].data, 'base64').toString()).toBe(`line ${n - 2} of the console\r\n`);
		// A token with its scheme (a Splunk HTTP Event Collector's) goes as it is
		await caller.accessLogs.forwarders.update({ id: f.id, patch: { token: 'Splunk 9f2c-hec-token' } });
		// (the node's worker restarts with the changed forwarder at its next look, within a few seconds)
		await until('HTTPS delivery with the Splunk token', async () => {
			await write(1);
			return auth === 'Splunk 9f2c-hec-token';
		});
		// Nothing that could end the header or add another one
		for (const bad of ['Splunk two words', 'x\r\nX-Evil: 1', 'Bearer\ttab'])
			await expect(caller.accessLogs.forwarders.update({ id: f.id, patch: { token: bad } })).rejects.toThrow(
				/scheme and credentials separated by one space/
			);
		// The token in the endpoint's own header (Datadog's DD-API-KEY), as it is, and more headers beside it
		const g = await caller.accessLogs.forwarders.update({
			id: f.id,
			patch: {
				token: 'dd-key-42',
				tokenHeader: 'DD-API-KEY',
				headers: [
					{ name: 'X-Scope-OrgID', value: 'ops team' },
					{ name: 'X-Source', value: 'fleetdesk' }
				]
			}
		});
		expect(g).toMatchObject({
			tokenHeader: 'DD-API-KEY',
			headers: [{ name: 'X-Scope-OrgID' }, { name: 'X-Source' }]
		});
		await until('HTTPS delivery with the token in its own header', async () => {
			await write(1);
			return seen['dd-api-key'] === 'dd-key-42';
		});
		expect(seen).toMatchObject({
			'x-scope-orgid': 'ops team',
			'x-source': 'fleetdesk',
			'content-type': 'application/json'
		});
		expect(seen.authorization).toBeUndefined();
		// Headers the forwarder sets, that would split the request, twice, or in the token's place are refused
		const refused: [unknown, RegExp][] = [
			[
				{ headers: [{ name: 'Content-Length', value: '0' }] },
				/headers.0.name: Fleetdesk sets this header itself/
			],
			[{ headers: [{ name: 'Host', value: 'evil' }] }, /sets this header itself/],
			[
				{ headers: [{ name: 'X-A', value: 'ok\r\nX-Evil: 1' }] },
				/headers.0.value: A header value is one line/
			],
			[{ headers: [{ name: 'X A', value: '1' }] }, /letters, digits and - only/],
			[{ headers: [{ name: 'Authorization', value: 'Basic x' }] }, /in the token field/],
			[
				{
					headers: [
						{ name: 'X-A', value: '1' },
						{ name: 'x-a', value: '2' }
					]
				},
				/named twice/
			],
			[{ headers: [{ name: 'dd-api-key', value: '1' }] }, /DD-API-KEY carries the token/],
			[{ tokenHeader: 'Content-Type' }, /tokenHeader: Fleetdesk sets this header itself/],
			[
				{ kind: 'syslog-tcp', host: '127.0.0.1', port: 601, url: null },
				/Headers apply to HTTPS forwarders only/
			]
		];
		for (const [patch, why] of refused)
			await expect(caller.accessLogs.forwarders.update({ id: f.id, patch: patch as never })).rejects.toThrow(
				why
			);
		await h.stop();
		server.close();
		await caller.accessLogs.forwarders.delete({ id: f.id });
	});

	it('forwards from one node at a time; another takes over when it stops', async () => {
		const listener = new Listener(await freePort());
		await listener.up();
		await caller.accessLogs.forwarders.create({
			name: 'two-nodes',
			kind: 'syslog-tcp',
			host: '127.0.0.1',
			port: listener.port,
			startAt: 'now'
		});
		const a = forward('node-a');
		await new Promise((r) => setTimeout(r, 300));
		const b = forward('node-b');
		await write(20);
		const first = n;
		await until('delivery', () => listener.seqs('edge1:serial').includes(first));
		const [held] = await caller.accessLogs.forwarders.list();
		expect(held.node).toBe('node-a');
		// One sender: every record arrived exactly once.
		expect(listener.received.length).toBe(20);
		await a.stop();
		await write(10);
		const last = n;
		await until('node-b to take over', () => listener.seqs('edge1:serial').includes(last), 45_000);
		expect(listener.seqs('edge1:serial')).toEqual(range(first - 19, last));
		expect((await caller.accessLogs.forwarders.list())[0].node).toBe('node-b');
		await b.stop();
		await listener.down();
	});

	it('audits every change to a forwarder, without the token', async () => {
		const rows = await db.select().from(auditLog).where(eq(auditLog.targetType, 'accessLogForwarder'));
		expect(rows.map((r) => r.action)).toEqual(
			expect.arrayContaining([
				'accessLog.forwarder.create',
				'accessLog.forwarder.update',
				'accessLog.forwarder.delete'
			])
		);
		expect(JSON.stringify(rows)).not.toContain('secret-token-123');
		expect(rows.every((r) => r.actorName === 'fwd-admin')).toBe(true);
	});
});
