// Access-log retention on PGlite and PostgreSQL: a purge removes whole old prefixes of a chain (and their text
// lines) and leaves a signed checkpoint, so `verify` and `fleetdesk log verify` still pass and say what was
// purged when; tampering after a purge (or before it, in what a purge would remove) is still found; records an
// enabled forwarder has not sent are kept until it has (to a real syslog listener); a device group's own period
// wins; only logs.manage may see or change any of it, and every purge and change is audited.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import { queryRows, type Db } from '../../src/server/db/client';
import { auditLog, consoles, devices } from '../../src/server/db/schema';
import {
	appendAccessLog,
	closeAccessLog,
	setAccessLogMasterKey,
	startAccessLogForwarding,
	verifyAccessLog,
	waitForLineIndex
} from '../../src/server/accesslog';
import { accessLogKey } from '../../src/server/accesslog/key';
import { purgeConsole } from '../../src/server/accesslog/retention';
import { startAccessLogRetention } from '../../src/server/accesslog/retention-run';
import { runCommand } from '../../src/server/cli/commands';
import { createCaller } from '../../src/server/trpc/router';
import { loadPrincipal } from '../../src/server/auth/permissions';
import { createUser } from '../../src/server/access/users';
import { findRoleByName } from '../../src/server/access/roles';
import { createGroup, setMembership } from '../../src/server/access/groups';
import { freePort } from '../helpers/server';

const system = { id: null, name: 'test' };
const cli = { id: null, name: 'cli:test' };
const OLD = Date.parse('2025-01-01T00:00:00Z');

async function until<T>(what: string, fn: () => Promise<T | false> | T | false, ms = 30_000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v !== false) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

describe.each(await dbKinds())('access-log retention on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let admin: ReturnType<typeof createCaller>;
	let viewer: ReturnType<typeof createCaller>;
	let n = 0;

	async function device(name: string): Promise<number> {
		const [d] = await db.insert(devices).values({ name }).returning();
		return d.id;
	}

	/** A console with `old` records from 2025 and `recent` from now, committed and line-indexed. */
	async function filled(
		deviceId: number,
		old: number,
		recent: number
	): Promise<{ id: number; name: string }> {
		const name = `ret-${++n}`;
		const [c] = await db
			.insert(consoles)
			.values({ name, deviceId, kind: 'shell', target: { kind: 'shell' } })
			.returning();
		const write = (i: number, at: Date) =>
			appendAccessLog(db, {
				consoleId: c.id,
				deviceId,
				kind: i % 4 === 1 ? 'input' : 'output',
				at,
				userId: i % 4 === 1 ? 1 : null,
				username: i % 4 === 1 ? 'admin' : null,
				data: Buffer.from(`${name} line ${i}\r\n`)
			});
		for (let i = 1; i <= old; i++) await write(i, new Date(OLD + i * 1000));
		for (let i = old + 1; i <= old + recent; i++) await write(i, new Date());
		await waitForLineIndex(db);
		return { id: c.id, name };
	}

	const records = async (consoleId: number) =>
		(
			await queryRows<{ seq: string | number }>(
				db,
				sql`select seq from access_log_records where console_id = ${consoleId} order by seq`
			)
		).map((r) => Number(r.seq));
	const lineSeqs = async (consoleId: number) =>
		(
			await queryRows<{ seq: string | number }>(
				db,
				sql`select seq from access_log_lines where console_id = ${consoleId} order by seq`
			)
		).map((r) => Number(r.seq));
	const verdict = async (consoleId: number) => (await verifyAccessLog(db, { consoleId })).consoles[0];
	const exec = (q: ReturnType<typeof sql>) => db.execute(q);
	const purge = (c: { id: number; name: string }) =>
		purgeConsole(
			db,
			accessLogKey(),
			{ consoleId: c.id, consoleName: c.name, days: 30 },
			{ at: new Date(), by: 'test' }
		);

	beforeAll(async () => {
		setAccessLogMasterKey(Buffer.from('access log retention test key material, 32+'));
		database = await openTestDb(kind);
		db = database.db;
		const caller = async (username: string, role: string) => {
			const u = await createUser(db, system, {
				username,
				password: 'long-enough-password',
				roleIds: [(await findRoleByName(db, role))!.id]
			});
			return createCaller({
				db,
				user: await loadPrincipal(db, { id: u.id, username: u.username }),
				sessionId: null,
				ip: '127.0.0.1'
			});
		};
		admin = await caller('ret-admin', 'Administrator');
		viewer = await caller('ret-viewer', 'Viewer');
	});
	afterAll(async () => {
		await closeAccessLog(db);
		await database?.dispose();
	});

	it('keeps everything until a period is set, then purges old prefixes and verify reports the checkpoint', async () => {
		const d = await device('ret-host-1');
		const c = await filled(d, 30, 10);
		expect(await admin.accessLogRetention.get()).toMatchObject({ days: null, lastRun: null });
		expect(await admin.accessLogRetention.run()).toMatchObject({ records: 0 });
		expect(await records(c.id)).toHaveLength(40);

		await admin.accessLogRetention.set({ days: 30 });
		const run = await admin.accessLogRetention.run();
		expect(run).toMatchObject({ records: 30, consoles: 1, heldBack: 0, errors: [] });
		expect(await records(c.id)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i));
		// The text lines of purged records go too; the others stay.
		const lines = await lineSeqs(c.id);
		expect(lines.length).toBeGreaterThan(0);
		expect(Math.min(...lines)).toBeGreaterThan(30);
		// The line view keeps its numbers and says where the stored lines start.
		const view = await admin.accessLogs.lines({ consoleId: c.id, fromLine: 1, count: 100 });
		expect(view.firstLine).toBeGreaterThan(1);
		expect(view.lines[0].n).toBe(view.firstLine);
		expect(view.lines[0].text).toBe(`${c.name} line 31`);
		expect(view.total).toBe(view.firstLine + view.lines.length - 1);

		const v = await verdict(c.id);
		expect(v).toMatchObject({ ok: true, records: 10, firstSeq: 31, lastSeq: 40 });
		expect(v.purged).toMatchObject({ throughSeq: 30, records: 30, purgedBy: 'ret-admin' });
		const today = new Date().toISOString().slice(0, 10);
		const out = await runCommand(db, cli, ['log', 'verify', '--console', c.name], '');
		expect(out.code).toBe(0);
		expect(out.stdout).toContain(
			`ok       ${c.name}: 10 records (31–40); records before 31 were purged by retention on ${today}`
		);

		// The chain goes on from where it was: new records link on and verify.
		await appendAccessLog(db, {
			consoleId: c.id,
			deviceId: d,
			kind: 'output',
			at: new Date(),
			data: Buffer.from('after the purge\r\n')
		});
		await waitForLineIndex(db);
		expect(await verdict(c.id)).toMatchObject({ ok: true, records: 11, firstSeq: 31, lastSeq: 41 });

		// A second purge moves the checkpoint on; nothing new to purge is not audited again.
		expect(await admin.accessLogRetention.run()).toMatchObject({ records: 0 });
		const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'accessLog.retention.purge'));
		expect(audits).toHaveLength(1);
		expect(audits[0]).toMatchObject({ actorName: 'ret-admin' });
		expect(JSON.stringify(audits[0].after)).toContain(`"console":"${c.name}"`);
		const status = await admin.accessLogRetention.get();
		expect(status).toMatchObject({ days: 30, updatedBy: 'ret-admin', purgedRecords: 30, purgedConsoles: 1 });
		expect(status.lastRun).toMatchObject({ records: 0, error: null });
		const changes = await db.select().from(auditLog).where(eq(auditLog.action, 'accessLog.retention.update'));
		expect(changes.map((a) => a.after)).toContainEqual({ days: 30 });
	});

	it('runs as a job at the configured interval on two nodes, as "retention"', async () => {
		// (the system period is 30 days since the test above)
		const c = await filled(await device('ret-host-job'), 5, 2);
		const a = startAccessLogRetention(db, { nodeId: 'job-a', intervalMs: 1500, firstMs: 0 });
		const b = startAccessLogRetention(db, { nodeId: 'job-b', intervalMs: 1500, firstMs: 0 });
		try {
			await until('the first run', async () => (await records(c.id)).length === 2, 10_000);
			// More old records: the next run, an interval later, takes them too.
			const d2 = await filled(await device('ret-host-job-2'), 3, 1);
			await until('a later run', async () => (await records(d2.id)).length === 1, 10_000);
		} finally {
			await a.stop();
			await b.stop();
		}
		const runs = (
			await db.select().from(auditLog).where(eq(auditLog.action, 'accessLog.retention.purge'))
		).filter((e) => e.actorName === 'retention');
		// One audit per run that purged: the two consoles were purged in different runs.
		expect(runs.length).toBeGreaterThanOrEqual(2);
		expect(JSON.stringify(runs.map((r) => r.after))).toContain('"console":"ret-');
	});

	it('a device group keeps its own, longer period', async () => {
		const d = await device('ret-host-2');
		const g = await createGroup(db, system, { name: 'ret-long', description: '' });
		await setMembership(db, system, g.id, d, true);
		await admin.accessLogRetention.setGroup({ groupId: g.id, days: 3650 });
		const c = await filled(d, 5, 1);
		await admin.accessLogRetention.run();
		expect(await records(c.id)).toHaveLength(6);
		await admin.accessLogRetention.setGroup({ groupId: g.id, days: null });
		await admin.accessLogRetention.run();
		expect(await records(c.id)).toEqual([6]);
		expect((await verdict(c.id)).ok).toBe(true);
	});

	it('keeps what an enabled forwarder has not sent, and purges it once a real listener has it', async () => {
		const d = await device('ret-host-3');
		const c = await filled(d, 12, 2);
		const got = new Set<number>();
		const server = net.createServer((s) => {
			s.on('error', () => {});
			s.on('data', (b) => {
				for (const m of b.toString('utf8').matchAll(new RegExp(`fleetdesk ${c.name} .*? seq="(\\d+)"`, 'g')))
					got.add(Number(m[1]));
			});
		});
		const port = await freePort();
		await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
		const f = await admin.accessLogs.forwarders.create({
			name: 'ret-siem',
			kind: 'syslog-tcp',
			host: '127.0.0.1',
			port,
			startAt: 'beginning'
		});
		const held = await admin.accessLogRetention.run();
		expect(held).toMatchObject({ records: 0, heldBack: 12 });
		expect(await records(c.id)).toHaveLength(14);
		expect((await admin.accessLogRetention.get()).lastRun).toMatchObject({ heldBack: 12 });

		const fwd = startAccessLogForwarding(db, {
			nodeId: 'ret-node',
			pollMs: 50,
			graceMs: 200,
			retention: false
		});
		try {
			const [view] = await until('delivery', async () => {
				const l = await admin.accessLogs.forwarders.list();
				return l[0]?.behind === 0 ? l : false;
			});
			expect(view).toMatchObject({ state: 'connected', consolesBehind: 0, oldestPendingAt: null });
			expect(view.connectedSince).not.toBeNull();
		} finally {
			await fwd.stop();
			server.close();
		}
		expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
		expect(await admin.accessLogRetention.run()).toMatchObject({ records: 12, heldBack: 0 });
		expect(await records(c.id)).toEqual([13, 14]);
		expect(await verdict(c.id)).toMatchObject({ ok: true, firstSeq: 13, purged: { throughSeq: 12 } });
		await admin.accessLogs.forwarders.delete({ id: f.id });
	});

	it('finds tampering after a purge: altered and removed records, a forged start, a touched checkpoint', async () => {
		const d = await device('ret-host-4');
		const flip = await filled(d, 10, 5);
		const gone = await filled(d, 10, 5);
		const noCheckpoint = await filled(d, 10, 5);
		const touched = await filled(d, 10, 5);
		const forged = await filled(d, 10, 5);
		for (const c of [flip, gone, noCheckpoint, touched, forged])
			expect(await purge(c)).toMatchObject({ records: 10 });

		await exec(sql`update access_log_records set data = set_byte(data, 1, get_byte(data, 1) # 1)
			where console_id = ${flip.id} and seq = 13`);
		expect((await verdict(flip.id)).problem).toMatchObject({ kind: 'altered', seq: 13 });

		await exec(sql`delete from access_log_records where console_id = ${gone.id} and seq = 11`);
		expect((await verdict(gone.id)).problem).toMatchObject({ kind: 'removed', seq: 11 });

		await exec(sql`delete from access_log_checkpoints where console_id = ${noCheckpoint.id}`);
		expect((await verdict(noCheckpoint.id)).problem).toMatchObject({ kind: 'removed', seq: 1 });

		await exec(
			sql`update access_log_checkpoints set purged_by = 'someone else' where console_id = ${touched.id}`
		);
		expect((await verdict(touched.id)).problem).toMatchObject({ kind: 'altered', seq: 10 });

		// Without the key: cut two more records and move the head's start and the checkpoint to match.
		await exec(sql`delete from access_log_records where console_id = ${forged.id} and seq <= 12`);
		await exec(sql`update access_log_heads h set first_seq = 13, first_prev_hash = r.hash from access_log_records r
			where h.console_id = ${forged.id} and r.console_id = ${forged.id} and r.seq = 13`);
		await exec(sql`update access_log_heads h set first_prev_hash = (select prev_hash from access_log_records
			where console_id = ${forged.id} and seq = 13) where h.console_id = ${forged.id}`);
		await exec(sql`update access_log_checkpoints c set seq = 12, hash = h.first_prev_hash from access_log_heads h
			where c.console_id = ${forged.id} and h.console_id = ${forged.id}`);
		const p = (await verdict(forged.id)).problem;
		expect(p?.kind).toMatch(/altered|removed|truncated/);
		const out = await runCommand(db, cli, ['log', 'verify', '--console', forged.name], '');
		expect(out.code).toBe(1);
		expect(out.stdout).toContain(`BROKEN   ${forged.name}`);
	});

	it('refuses to purge a prefix that does not verify, so tampering is never signed over', async () => {
		const d = await device('ret-host-5');
		const c = await filled(d, 10, 2);
		await exec(sql`update access_log_records set data = set_byte(data, 1, get_byte(data, 1) # 1)
			where console_id = ${c.id} and seq = 4`);
		const r = await purge(c);
		expect(r.records).toBe(0);
		expect(r.error).toMatch(/record 4 does not verify/);
		expect(await records(c.id)).toHaveLength(12);
		expect((await verdict(c.id)).problem).toMatchObject({ kind: 'altered', seq: 4 });

		const cut = await filled(d, 10, 2);
		// Tail cut and head moved back without the key: the head's MAC is wrong, so no purge re-signs it.
		await exec(sql`delete from access_log_records where console_id = ${cut.id} and seq = 12`);
		await exec(sql`update access_log_heads h set last_seq = 11, last_hash = r.hash from access_log_records r
			where h.console_id = ${cut.id} and r.console_id = ${cut.id} and r.seq = 11`);
		expect(await purge(cut)).toMatchObject({ records: 0, error: expect.stringMatching(/head/) });
		expect((await verdict(cut.id)).problem).toMatchObject({ kind: 'truncated' });
	});

	it('lets only logs.manage see or change retention and forwarders', async () => {
		const forbidden = { code: 'FORBIDDEN' };
		await expect(viewer.accessLogRetention.get()).rejects.toMatchObject(forbidden);
		await expect(viewer.accessLogRetention.set({ days: 1 })).rejects.toMatchObject(forbidden);
		await expect(viewer.accessLogRetention.run()).rejects.toMatchObject(forbidden);
		await expect(viewer.accessLogs.forwarders.list()).rejects.toMatchObject(forbidden);
		await expect(viewer.accessLogs.forwarders.test({ id: 1 })).rejects.toMatchObject(forbidden);
		await expect(admin.accessLogRetention.set({ days: 0 })).rejects.toThrow(/at least 1 day/);
		expect((await admin.accessLogRetention.get()).days).toBe(30);
		const denied = await db
			.select()
			.from(auditLog)
			.where(and(eq(auditLog.action, 'accessLog.retention.update'), eq(auditLog.actorName, 'ret-viewer')));
		expect(denied).toHaveLength(0);
	});

	it('reports bad forwarder fields by name and tests a connection without saving', async () => {
		await expect(
			admin.accessLogs.forwarders.create({ name: 'x', kind: 'syslog-tcp', host: '127.0.0.1' })
		).rejects.toThrow(/^port: A syslog forwarder needs a port/);
		await expect(admin.accessLogs.forwarders.create({ name: 'x', kind: 'https' })).rejects.toThrow(
			/^url: An HTTPS forwarder needs a URL/
		);
		const port = await freePort();
		let got = '';
		const server = net.createServer((s) => s.on('data', (b) => (got += b.toString())));
		await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
		try {
			const ok = await admin.accessLogs.forwarders.test({
				draft: { name: 'probe', kind: 'syslog-tcp', host: '127.0.0.1', port }
			});
			expect(ok).toMatchObject({ ok: true });
			await until('the test message', () => got.includes('Fleetdesk test message from forwarder "probe"'));
		} finally {
			server.close();
		}
		const closed = await admin.accessLogs.forwarders.test({
			draft: { name: 'probe', kind: 'syslog-tcp', host: '127.0.0.1', port: await freePort() }
		});
		expect(closed).toMatchObject({ ok: false, message: expect.stringMatching(/ECONNREFUSED/) });
	});
});
