// Search across access logs and the line view, on PGlite and PostgreSQL: lines are derived from output with
// escapes stripped and partial lines completed by the next chunk; results come grouped by device and time,
// only from devices the user may read; a bad regular expression is refused with its position; the trigram
// index serves the newline-sensitive patterns the search uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import { queryRows, type Db } from '../../src/server/db/client';
import {
	consoles,
	deviceGroupMembers,
	deviceGroups,
	devices,
	grants,
	roles
} from '../../src/server/db/schema';
import { writeBatch, type NormalEntry } from '../../src/server/accesslog/batch';
import { accessLogKey } from '../../src/server/accesslog/key';
import {
	appendAccessLog,
	closeAccessLog,
	setAccessLogMasterKey,
	waitForLineIndex
} from '../../src/server/accesslog';
import { createCaller } from '../../src/server/trpc/router';
import { loadPrincipal } from '../../src/server/auth/permissions';
import { createUser, findUserByName } from '../../src/server/access/users';
import { findRoleByName } from '../../src/server/access/roles';

const system = { id: null, name: 'test' };
const T0 = Date.parse('2025-03-01T10:00:00Z');

describe.each(await dbKinds())('access-log search on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	const ids: Record<string, { device: number; console: number }> = {};
	let admin: ReturnType<typeof createCaller>;
	let webops: ReturnType<typeof createCaller>;
	let nobody: ReturnType<typeof createCaller>;

	async function caller(username: string) {
		const u = (await findUserByName(db, username))!;
		return createCaller({
			db,
			user: await loadPrincipal(db, { id: u.id, username }),
			sessionId: null,
			ip: ''
		});
	}

	async function out(name: string, seconds: number, text: string) {
		await appendAccessLog(db, {
			consoleId: ids[name].console,
			deviceId: ids[name].device,
			kind: 'output',
			at: new Date(T0 + seconds * 1000),
			data: Buffer.from(text)
		});
	}

	beforeAll(async () => {
		setAccessLogMasterKey(Buffer.from('access log search test key material, 32+ bytes'));
		database = await openTestDb(kind);
		db = database.db;
		for (const name of ['web1', 'web2', 'db1']) {
			const [d] = await db.insert(devices).values({ name }).returning();
			const [c] = await db
				.insert(consoles)
				.values({ name: `${name}:shell`, deviceId: d.id, kind: 'shell', target: { kind: 'shell' } })
				.returning();
			ids[name] = { device: d.id, console: c.id };
		}
		const [web] = await db.insert(deviceGroups).values({ name: 'web' }).returning();
		await db.insert(deviceGroupMembers).values([
			{ groupId: web.id, deviceId: ids.web1.device },
			{ groupId: web.id, deviceId: ids.web2.device }
		]);
		const [role] = await db
			.insert(roles)
			.values({ name: 'Web log readers', permissions: ['desktop.use'] })
			.returning();
		await db.insert(grants).values({ roleId: role.id, groupId: web.id, actions: ['logs.read'] });
		const [plain] = await db
			.insert(roles)
			.values({ name: 'Desktop only', permissions: ['desktop.use'] })
			.returning();
		const adminRole = (await findRoleByName(db, 'Administrator'))!;
		for (const [username, roleId] of [
			['search-admin', adminRole.id],
			['webops', role.id],
			['nobody', plain.id]
		] as const)
			await createUser(db, system, { username, password: 'long-enough-password', roleIds: [roleId] });
		admin = await caller('search-admin');
		webops = await caller('webops');
		nobody = await caller('nobody');

		await out('web1', 0, 'Mar  1 sshd[101]: Failed password for root from 10.0.0.1 port 22\r\n$ ');
		await out('web1', 10, 'tail -f /var/log/kern.log\r\nkernel: Out of mem');
		await out('web1', 11, 'ory: Killed process 1234 (java)\r\n');
		await out('web2', 20, '\x1b[1;31mERROR\x1b[0m disk full on /var\r\nprogress 10%\rprogress 100%\r\n');
		await out('web2', 3600, 'sshd[7]: Failed password for invalid user admin from 10.0.0.7 port 2222\r\n');
		await out('db1', 30, 'sshd[9]: Failed password for postgres from 10.0.0.9 port 22\r\nlogin: ');
		await waitForLineIndex(db);
	});
	afterAll(async () => {
		await closeAccessLog(db);
		await database?.dispose();
	});

	it('finds plain text across consoles, grouped by device and then time', async () => {
		const r = await admin.accessLogs.search({ pattern: 'Failed password' });
		expect(r.truncated).toBe(false);
		expect(r.groups.map((g) => [g.deviceName, g.count])).toEqual([
			['db1', 1],
			['web1', 1],
			['web2', 1]
		]);
		expect(r.hits[1]).toMatchObject({
			deviceName: 'web1',
			consoleName: 'web1:shell',
			line: 1,
			at: new Date(T0).toISOString(),
			text: 'Mar  1 sshd[101]: Failed password for root from 10.0.0.1 port 22'
		});
	});

	it('searches lines as they were seen: escapes stripped, split lines joined, overwritten text replaced', async () => {
		const mem = await admin.accessLogs.search({ pattern: 'Out of memory: Killed' });
		expect(mem.hits).toHaveLength(1);
		expect(mem.hits[0]).toMatchObject({ text: 'kernel: Out of memory: Killed process 1234 (java)', line: 3 });
		expect(mem.hits[0].at).toBe(new Date(T0 + 11_000).toISOString());
		expect((await admin.accessLogs.search({ pattern: 'ERROR disk full' })).hits).toHaveLength(1);
		expect((await admin.accessLogs.search({ pattern: 'progress 10%' })).hits).toHaveLength(0);
		expect((await admin.accessLogs.search({ pattern: '[1;31m' })).hits).toHaveLength(0);
	});

	it('matches regular expressions per line, with case folding on request', async () => {
		const r = await admin.accessLogs.search({
			pattern: 'Failed password for (invalid user )?\\w+ from 10\\.0\\.0\\.[0-9]+ port 22$',
			regex: true
		});
		expect(r.hits.map((h) => h.deviceName)).toEqual(['db1', 'web1']);
		expect((await admin.accessLogs.search({ pattern: '^disk', regex: true })).hits).toHaveLength(0);
		expect((await admin.accessLogs.search({ pattern: 'full on /var$', regex: true })).hits).toHaveLength(1);
		expect((await admin.accessLogs.search({ pattern: 'error DISK', ignoreCase: true })).hits).toHaveLength(1);
		expect(
			(await admin.accessLogs.search({ pattern: '\\bkilled\\b', regex: true, ignoreCase: true })).hits
		).toHaveLength(1);
		// The Logs app sends `query`; it means the same.
		expect((await admin.accessLogs.search({ query: 'Killed process' })).hits).toHaveLength(1);
	});

	it('filters by time and device, and marks a cut result', async () => {
		const late = await admin.accessLogs.search({ pattern: 'Failed password', from: new Date(T0 + 60_000) });
		expect(late.hits.map((h) => h.deviceName)).toEqual(['web2']);
		const one = await admin.accessLogs.search({ pattern: 'Failed password', deviceIds: [ids.db1.device] });
		expect(one.hits.map((h) => h.deviceName)).toEqual(['db1']);
		const cut = await admin.accessLogs.search({ pattern: 'Failed password', limit: 2 });
		expect(cut.truncated).toBe(true);
		// The newest are kept.
		expect(cut.hits.map((h) => h.deviceName).sort()).toEqual(['db1', 'web2']);
	});

	it('returns only lines of devices the user may read', async () => {
		const r = await webops.accessLogs.search({ pattern: 'Failed password' });
		expect(r.hits.map((h) => h.deviceName)).toEqual(['web1', 'web2']);
		const asked = await webops.accessLogs.search({ pattern: 'Failed password', deviceIds: [ids.db1.device] });
		expect(asked.hits).toHaveLength(0);
		await expect(nobody.accessLogs.search({ pattern: 'Failed password' })).rejects.toThrow(/logs\.read/);
		await expect(webops.accessLogs.lines({ consoleId: ids.db1.console })).rejects.toThrow(/no access log/);
	});

	it('refuses a bad regular expression with the position of the mistake', async () => {
		await expect(admin.accessLogs.search({ pattern: 'Failed (password', regex: true })).rejects.toThrow(
			'The pattern has an error at character 8: "(" is never closed; close it with ")" or escape it as \\(.'
		);
		await expect(admin.accessLogs.search({ pattern: 'port [9-0]+', regex: true })).rejects.toThrow(
			/at character 7: the range "9-0" is out of order/
		);
		// The same text is fine as plain text.
		expect((await admin.accessLogs.search({ pattern: 'Failed (password' })).hits).toHaveLength(0);
	});

	it('shows a console log as numbered lines, from a line or a time, with the unfinished last line', async () => {
		const w = await admin.accessLogs.lines({ consoleId: ids.web1.console, fromLine: 2, count: 10 });
		expect(w.total).toBe(3);
		expect(w.lines.map((l) => [l.n, l.text])).toEqual([
			[2, '$ tail -f /var/log/kern.log'],
			[3, 'kernel: Out of memory: Killed process 1234 (java)']
		]);
		const byTime = await admin.accessLogs.lines({
			consoleId: ids.web1.console,
			at: new Date(T0 + 5000),
			count: 1
		});
		expect(byTime.lines).toEqual([
			{ n: 2, at: new Date(T0 + 10_000).toISOString(), text: '$ tail -f /var/log/kern.log' }
		]);
		const db1 = await admin.accessLogs.lines({ consoleId: ids.db1.console });
		expect(db1.pending).toEqual({ at: new Date(T0 + 30_000).toISOString(), text: 'login: ' });
	});

	it('indexes the same lines from records it reads back as from records it was handed', async () => {
		// One console written through the writer (the indexer gets the records in memory), one written as
		// another node's writer would be seen from here (the indexer reads them from the database).
		const pair: number[] = [];
		for (const name of ['handed:shell', 'read-back:shell']) {
			const [c] = await db
				.insert(consoles)
				.values({ name, deviceId: ids.db1.device, kind: 'shell', target: { kind: 'shell' } })
				.returning();
			pair.push(c.id);
		}
		const chunks = [
			'boot: \x1b[32mok\x1b[0m\r\nloading kern',
			'el 6.1\r\nprogress 10%\rprogress 100%\r\n',
			...Array.from({ length: 300 }, (_, i) => `line ${i}\r\n`),
			'login: '
		];
		const entry = (consoleId: number, i: number, text: string): NormalEntry => ({
			consoleId,
			deviceId: ids.db1.device,
			kind: 'output',
			at: new Date(T0 + 7200_000 + i),
			userId: null,
			username: null,
			pipeId: null,
			agentSeq: null,
			data: Buffer.from(text)
		});
		await Promise.all(chunks.map((text, i) => appendAccessLog(db, entry(pair[0], i, text))));
		await writeBatch(
			db,
			accessLogKey(),
			chunks.map((text, i) => entry(pair[1], i, text))
		);
		await waitForLineIndex(db);
		const [handed, readBack] = await Promise.all(
			pair.map((consoleId) => admin.accessLogs.lines({ consoleId, count: 1000 }))
		);
		expect(handed.total).toBe(303);
		expect(handed.lines[1].text).toBe('loading kernel 6.1');
		expect(handed.lines[2].text).toBe('progress 100%');
		expect(readBack.total).toBe(handed.total);
		expect(readBack.lines).toEqual(handed.lines);
		expect(readBack.pending).toEqual(handed.pending);
	});

	it('uses the trigram index for the newline-sensitive pattern', async () => {
		await db.execute(sql`analyze access_log_lines`);
		const plan = await db.transaction(async (tx) => {
			await tx.execute(sql`set local enable_seqscan = off`);
			return queryRows<{ 'QUERY PLAN': string }>(
				tx as unknown as Db,
				sql`explain select 1 from access_log_lines where text ~ '(?n)Failed password for \w+ from'`
			);
		});
		expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toContain('access_log_lines_text_idx');
	});
});
