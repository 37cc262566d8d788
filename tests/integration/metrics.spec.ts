// Resource history on PGlite and PostgreSQL: samples stored exactly once through the report path, hourly and
// daily rollups (idempotent, redone when a late sample arrives), one node at a time, retention, and the
// queries behind the charts, the side-by-side view and the idle-servers report. Then a real agent process
// whose samples reach a real server, also across a server restart, and the CSV download.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres, openTestDb } from '../helpers/db';
import { agents, devices, metricRollups, metricSamples } from '../../src/server/db/schema';
import { openDatabase, type Db } from '../../src/server/db/client';
import { applyReport, ReportRefused } from '../../src/server/agents/reports';
import '../../src/server/metrics/ingest';
import { runMetricsJob } from '../../src/server/metrics/job';
import { createCaller } from '../../src/server/trpc/router';
import { loadPrincipal } from '../../src/server/auth/permissions';
import { createUser } from '../../src/server/access/users';
import { createRole, findRoleByName } from '../../src/server/access/roles';
import type { IdleDevice, MetricsHistory, MetricsSample, TopDevice } from '../../src/lib/protocol/metrics';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { buildAgent, enrollWithNewToken, type RunningAgent, startAgent, until } from '../helpers/agents';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const GiB = 1024 ** 3;
const system = { id: null, name: 'test' };

function sample(t: number, cpu: number, over: Partial<MetricsSample> = {}): MetricsSample {
	return {
		at: new Date(t).toISOString(),
		cpu: { total: cpu, cores: [cpu, cpu] },
		memory: { total: 8 * GiB, used: 2 * GiB },
		swap: { total: GiB, used: 0 },
		load: [0.5, 0.4, 0.3],
		filesystems: [{ mount: '/', size: 100 * GiB, used: 40 * GiB, usedPct: 40 }],
		...over
	};
}

describe.each(await dbKinds())('resource history on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let caller: ReturnType<typeof createCaller>;
	const seq = new Map<string, number>();
	// Samples at fixed minutes of the hours before this one, so the buckets are known.
	const H = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;

	async function device(name: string): Promise<{ deviceId: number; agentId: string }> {
		const [d] = await db.insert(devices).values({ name }).returning();
		const agentId = randomUUID();
		await db.insert(agents).values({
			id: agentId,
			hostname: name,
			deviceId: d.id,
			certSerial: '01',
			certFingerprint: 'x',
			certNotAfter: new Date(Date.now() + 365 * DAY)
		});
		return { deviceId: d.id, agentId };
	}
	const report = (agentId: string, samples: MetricsSample[], n?: number) => {
		const s = n ?? (seq.get(agentId) ?? 0) + 1;
		seq.set(agentId, Math.max(s, seq.get(agentId) ?? 0));
		return applyReport(db, agentId, {
			agentId,
			seq: s,
			kind: 'metrics',
			at: new Date().toISOString(),
			body: { samples }
		});
	};
	const stored = async (deviceId: number) =>
		(await db.select().from(metricSamples).where(eq(metricSamples.deviceId, deviceId))).length;
	const rollup = async (deviceId: number, resolution: 'hour' | 'day', bucket: number) =>
		(
			await db
				.select()
				.from(metricRollups)
				.where(
					and(
						eq(metricRollups.deviceId, deviceId),
						eq(metricRollups.resolution, resolution),
						eq(metricRollups.bucket, new Date(bucket))
					)
				)
		)[0];

	let idle: { deviceId: number; agentId: string };
	let busy: { deviceId: number; agentId: string };
	let silent: { deviceId: number; agentId: string };

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
		const admin = await createUser(db, system, {
			username: 'metrics-admin',
			password: 'long-enough-password',
			roleIds: [(await findRoleByName(db, 'Administrator'))!.id]
		});
		caller = createCaller({
			db,
			user: await loadPrincipal(db, { id: admin.id, username: admin.username }),
			sessionId: null,
			ip: ''
		});
		idle = await device('idle-1');
		busy = await device('busy-1');
		silent = await device('silent-1');
	});
	afterAll(() => database?.dispose());

	it('stores each sample once, through the exactly-once report path, and skips impossible times', async () => {
		const samples = [sample(H, 10), sample(H + 10 * 60_000, 20), sample(H + 20 * 60_000, 30)];
		expect(await report(busy.agentId, samples, 1)).toEqual({ ok: true, duplicate: false });
		// the same report again (its acknowledgement was lost): dropped
		expect(await report(busy.agentId, samples, 1)).toEqual({ ok: true, duplicate: true });
		expect(await stored(busy.deviceId)).toBe(3);
		// a clock an hour ahead, and a sample older than the raw retention, are not kept
		await report(busy.agentId, [sample(Date.now() + HOUR, 5), sample(Date.now() - 30 * DAY, 5)]);
		expect(await stored(busy.deviceId)).toBe(3);
		// a malformed report is refused for good and changes nothing
		await expect(report(busy.agentId, [sample(H + HOUR, 150)])).rejects.toThrow(ReportRefused);
		await expect(
			report(busy.agentId, [
				sample(H + HOUR, 5, { filesystems: Array(33).fill(sample(0, 0).filesystems[0]) })
			])
		).rejects.toThrow(/malformed metrics report/);
		expect(await stored(busy.deviceId)).toBe(3);
		const [a] = await db.select().from(agents).where(eq(agents.id, busy.agentId));
		expect(a.lastSeq).toBe(2);
	});

	it('rolls up into hours and days, idempotently, and again when a late sample arrives', async () => {
		await report(busy.agentId, [
			sample(H + HOUR + 5 * 60_000, 50, { memory: { total: 8 * GiB, used: 6 * GiB } }),
			sample(H + 2 * HOUR + 1000, 70, {
				filesystems: [{ mount: '/', size: 100 * GiB, used: 90 * GiB, usedPct: 90 }]
			})
		]);
		// the idle host: one sample a minute for the last three hours, about 1 % busy
		const quiet: MetricsSample[] = [];
		for (let t = H; t < H + 3 * HOUR; t += 60_000) quiet.push(sample(t, t % (7 * 60_000) ? 0.5 : 5));
		for (let i = 0; i < quiet.length; i += 100) await report(idle.agentId, quiet.slice(i, i + 100));

		const first = await runMetricsJob(db);
		expect(first).toMatchObject({ hours: 6 });
		const h0 = await rollup(busy.deviceId, 'hour', H);
		expect(h0).toMatchObject({ samples: 3, cpuAvg: 20, cpuMax: 30, memUsedMax: 2 * GiB });
		expect(await rollup(busy.deviceId, 'hour', H + HOUR)).toMatchObject({
			samples: 1,
			cpuAvg: 50,
			memUsedAvg: 6 * GiB
		});
		expect((await rollup(busy.deviceId, 'hour', H + 2 * HOUR)).filesystems).toEqual([
			{ mount: '/', size: 100 * GiB, usedPctMax: 90 }
		]);
		// each UTC day: the average of its samples (weighted by samples, not by hours)
		const busySamples = [
			[H, 10],
			[H + 10 * 60_000, 20],
			[H + 20 * 60_000, 30],
			[H + HOUR + 5 * 60_000, 50],
			[H + 2 * HOUR + 1000, 70]
		];
		const days = new Set(busySamples.map(([t]) => Math.floor(t / DAY) * DAY));
		for (const d of days) {
			const inDay = busySamples.filter(([t]) => Math.floor(t / DAY) * DAY === d).map(([, c]) => c);
			const row = await rollup(busy.deviceId, 'day', d);
			expect(row.samples).toBe(inDay.length);
			expect(row.cpuAvg).toBeCloseTo(inDay.reduce((a, b) => a + b, 0) / inDay.length, 1);
			expect(row.cpuMax).toBe(Math.max(...inDay));
		}

		// a second round changes nothing
		const before = await db
			.select()
			.from(metricRollups)
			.orderBy(metricRollups.deviceId, metricRollups.bucket);
		await runMetricsJob(db);
		const after = await db.select().from(metricRollups).orderBy(metricRollups.deviceId, metricRollups.bucket);
		expect(after).toEqual(before);

		// a sample for the first hour arrives late (the agent was cut off): that hour and its day are redone
		await report(busy.agentId, [sample(H + 30 * 60_000, 80)]);
		await runMetricsJob(db);
		expect(await rollup(busy.deviceId, 'hour', H)).toMatchObject({ samples: 4, cpuAvg: 35, cpuMax: 80 });
		const day0 = await rollup(busy.deviceId, 'day', Math.floor(H / DAY) * DAY);
		expect(day0.cpuMax).toBe(80);
	});

	// Two connections to one database: PostgreSQL only (PGlite is one node with one connection).
	if (kind === 'postgres')
		it('runs on one node at a time: a round waits for no one, it skips', async () => {
			const c = new pg.Client({
				connectionString: (database.pool as unknown as { options: { connectionString: string } }).options
					.connectionString
			});
			await c.connect();
			try {
				await c.query('begin');
				await c.query(`select pg_advisory_xact_lock(hashtext('fleetdesk.metrics'))`);
				expect(await runMetricsJob(db)).toBeNull();
				await c.query('commit');
				expect(await runMetricsJob(db)).not.toBeNull();
			} finally {
				await c.end();
			}
		});

	it('draws a day from raw samples, a week or month from hours, a year from days, with averages', async () => {
		const day = await caller.metrics.history({ deviceId: idle.deviceId, range: 'day' });
		expect(day.resolution).toBe('raw');
		expect(day.points).toHaveLength(180);
		expect(day.points[0]).toMatchObject({
			t: H,
			samples: 1,
			memTotal: 8 * GiB,
			memUsed: 2 * GiB,
			load1: 0.5
		});
		expect(day.filesystems).toEqual([expect.objectContaining({ mount: '/', size: 100 * GiB })]);
		expect(day.averages.day.length).toBeGreaterThan(0);

		const week: MetricsHistory = await caller.metrics.history({ deviceId: busy.deviceId, range: 'week' });
		expect(week.resolution).toBe('hour');
		expect(week.points.map((p) => [p.t, p.samples, p.cpu])).toEqual([
			[H, 4, 35],
			[H + HOUR, 1, 50],
			[H + 2 * HOUR, 1, 70]
		]);
		const month = await caller.metrics.history({ deviceId: busy.deviceId, range: 'month' });
		expect(month.points).toHaveLength(3);
		expect(month.averages.month).toHaveLength(1);
		expect(month.averages.month[0].samples).toBe(6);
		expect(month.averages.month[0].cpu).toBeCloseTo((10 + 20 + 30 + 80 + 50 + 70) / 6, 1);

		const year = await caller.metrics.history({ deviceId: busy.deviceId, range: 'year' });
		expect(year.resolution).toBe('day');
		expect(year.points.reduce((n, p) => n + p.samples, 0)).toBe(6);

		const none = await caller.metrics.history({ deviceId: silent.deviceId, range: 'week' });
		expect(none.points).toEqual([]);
		await expect(caller.metrics.history({ deviceId: 999_999, range: 'day' })).rejects.toThrow(
			/no device 999999/
		);
		await expect(
			caller.metrics.history({ deviceId: idle.deviceId, range: 'decade' as 'day' })
		).rejects.toThrow(/day, week, month or year/);
	});

	it('lists idle servers below the threshold, sorted, and not the busy or silent ones', async () => {
		const list: IdleDevice[] = await caller.metrics.idle({ thresholdPct: 3, days: 7 });
		expect(list.map((d) => d.name)).toEqual(['idle-1']);
		expect(list[0].samples).toBe(180);
		expect(list[0].avgCpu).toBeLessThan(3);
		expect(list[0].maxCpu).toBe(5);
		expect(list[0].dataSince).toBe(new Date(H).toISOString());

		const all = await caller.metrics.idle({ thresholdPct: 100, days: 1, sort: 'avgCpu', dir: 'desc' });
		expect(all.map((d) => d.name)).toEqual(['busy-1', 'idle-1']);
		expect(await caller.metrics.idle({ thresholdPct: 100, days: 1, sort: 'avgCpu', dir: 'asc' })).toEqual(
			[...all].reverse()
		);
		// the defaults are 3 % over 7 days
		expect((await caller.metrics.idle()).map((d) => d.name)).toEqual(['idle-1']);
		await expect(caller.metrics.idle({ thresholdPct: 0, days: 7 })).rejects.toThrow(/at least 0.1/);
		await expect(caller.metrics.idle({ thresholdPct: 3, days: 1000 })).rejects.toThrow(
			/kept 400 days.*FLEETDESK_METRICS_ROLLUP_DAYS/
		);
	});

	it('compares devices side by side: latest sample and the last hour', async () => {
		await report(busy.agentId, [sample(Date.now() - 60_000, 40, { load: null })]);
		const top: TopDevice[] = await caller.metrics.top({
			deviceIds: [busy.deviceId, silent.deviceId, 999_999]
		});
		expect(top.map((t) => t.name)).toEqual(['busy-1', 'silent-1']);
		expect(top[0].latest).toMatchObject({ cpu: 40, cores: [40, 40], load: null, memTotal: 8 * GiB });
		expect(top[0].lastHour).toMatchObject({ cpu: 40, samples: 1 });
		expect(top[0].online).toBe(false);
		expect(top[1]).toMatchObject({ latest: null, lastHour: null });
		await expect(caller.metrics.top({ deviceIds: [] })).rejects.toThrow(/at least one device/);
	});

	it('asks for agents.read', async () => {
		const role = await createRole(db, system, { name: 'desk only', permissions: ['desktop.use'] });
		const u = await createUser(db, system, {
			username: 'no-fleet',
			password: 'long-enough-password',
			roleIds: [role.id]
		});
		const weak = createCaller({
			db,
			user: await loadPrincipal(db, { id: u.id, username: u.username }),
			sessionId: null,
			ip: ''
		});
		await expect(weak.metrics.idle()).rejects.toThrow(/agents.read/);
		await expect(weak.metrics.history({ deviceId: idle.deviceId, range: 'day' })).rejects.toThrow(
			/agents.read/
		);
		await expect(weak.metrics.top({ deviceIds: [idle.deviceId] })).rejects.toThrow(/agents.read/);
	});

	it('prunes raw samples past their retention and aggregates past theirs', async () => {
		const total = (await db.select().from(metricSamples)).length;
		// the busy host's samples arrived 8 days ago (as far as the database knows)
		await db
			.update(metricSamples)
			.set({ receivedAt: new Date(Date.now() - 8 * DAY) })
			.where(eq(metricSamples.deviceId, busy.deviceId));
		const old = new Date(Math.floor((Date.now() - 401 * DAY) / DAY) * DAY);
		const [h] = await db
			.select()
			.from(metricRollups)
			.where(eq(metricRollups.deviceId, busy.deviceId))
			.limit(1);
		await db.insert(metricRollups).values({ ...h, resolution: 'day', bucket: old });
		const busyRaw = await stored(busy.deviceId);
		const rollupsBefore = (await db.select().from(metricRollups)).length;

		const r = await runMetricsJob(db, { rawDays: 7, rollupDays: 400 });
		expect(r).toMatchObject({ prunedSamples: busyRaw, prunedRollups: 1 });
		expect(await stored(busy.deviceId)).toBe(0);
		expect(await stored(idle.deviceId)).toBe(total - busyRaw);
		expect((await db.select().from(metricRollups)).length).toBe(rollupsBefore - 1);
		// the aggregates of the pruned samples stay
		expect(await rollup(busy.deviceId, 'hour', H)).toMatchObject({ samples: 4 });

		// a shorter retention (as FLEETDESK_METRICS_*_DAYS would set it) prunes more
		const shorter = await runMetricsJob(db, { rawDays: 7, rollupDays: 7 }, new Date(Date.now() + 8 * DAY));
		expect(shorter!.prunedSamples).toBe(total - busyRaw);
		expect(shorter!.prunedRollups).toBeGreaterThan(0);
		expect((await db.select().from(metricRollups)).length).toBe(0);
	});
});

describe.each(await dbKinds())('a real agent reporting resource samples, on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let env: Record<string, string>;
	let agent: RunningAgent | undefined;
	let deviceId: number;
	const history = () => call<MetricsHistory>('metrics.history', { deviceId, range: 'day' });

	const call = async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query', as = cookie) => {
		const r = await trpcCall(server.url, as, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		// the rollup job every 5 s instead of every 5 minutes
		env = { FLEETDESK_METRICS_JOB_SECONDS: '5', ...(pgdb ? { DATABASE_URL: pgdb.url } : {}) };
		server = await startServer(env);
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
	});
	afterAll(async () => {
		await agent?.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('samples every metricsSeconds and the samples arrive', async () => {
		const groupId = (await call<{ id: number }>('groups.create', { name: 'metrics' }, 'mutation')).id;
		const { dir, agentId } = await enrollWithNewToken(server, cookie, groupId);
		deviceId = (await call<{ id: string; deviceId: number }[]>('agents.list')).find(
			(a) => a.id === agentId
		)!.deviceId;
		agent = startAgent(dir, { metricsSeconds: 5, reconnect: { baseMs: 200, capMs: 1500 } });
		// points are per minute; samples every 5 s
		const first = await until(async () => {
			const h = await history();
			return h.points.reduce((n, x) => n + x.samples, 0) >= 2 ? h : null;
		}, 20_000);
		const p = first.points[first.points.length - 1];
		// the same host: the agent's memory total is this machine's
		expect(p.memTotal).toBe(os.totalmem());
		expect(p.cpu).toBeGreaterThanOrEqual(0);
		expect(p.cpu).toBeLessThanOrEqual(100);
		expect(first.filesystems.map((f) => f.mount)).toContain('/');
		const [top] = await call<TopDevice[]>('metrics.top', { deviceIds: [deviceId] });
		expect(top.online).toBe(true);
		expect(top.latest!.cores).toHaveLength(os.cpus().length);
		expect(top.lastHour!.samples).toBeGreaterThanOrEqual(2);
	}, 90_000);

	it('the idle report and its CSV, from the rollups the server job makes; both need agents.read', async () => {
		// the server's job has rolled up what arrived; 100 % lists every device with data
		const list = await until(async () => {
			const l = await call<IdleDevice[]>('metrics.idle', { thresholdPct: 100, days: 1 });
			return l[0]?.samples >= 2 ? l : null;
		}, 20_000);
		expect(list.map((d) => d.deviceId)).toEqual([deviceId]);
		expect(list[0].avgCpu).toBeLessThanOrEqual(list[0].maxCpu);

		const res = await fetch(`${server.url}/api/metrics/idle.csv?thresholdPct=100&days=1&sort=name`, {
			headers: { cookie }
		});
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(res.headers.get('content-disposition')).toMatch(
			/attachment; filename="idle-servers-below-100pct-1d-/
		);
		const text = await res.text();
		const lines = text.replace(/^\uFEFF/, '').split('\r\n');
		expect(lines[0]).toBe('Device,Average CPU %,Maximum CPU %,Samples,Data since (UTC),Last seen (UTC)');
		expect(lines[1].split(',')[0]).toBe(list[0].name);
		expect(lines[1].split(',')[3]).toBe(String(list[0].samples));

		expect((await fetch(`${server.url}/api/metrics/idle.csv`)).status).toBe(401);
		const bad = await fetch(`${server.url}/api/metrics/idle.csv?thresholdPct=abc`, { headers: { cookie } });
		expect(bad.status).toBe(400);
		expect(await bad.json()).toEqual({
			error: { message: expect.stringMatching(/threshold must be a number/) }
		});

		const role = await call<{ id: number }>(
			'roles.create',
			{ name: 'desk only', permissions: ['desktop.use'] },
			'mutation'
		);
		await call(
			'users.create',
			{ username: 'nofleet', password: 'long-enough-password', roleIds: [role.id] },
			'mutation'
		);
		const weak = await signIn(server.url, 'nofleet', 'long-enough-password');
		expect((await fetch(`${server.url}/api/metrics/idle.csv`, { headers: { cookie: weak } })).status).toBe(
			403
		);
		expect((await trpcCall(server.url, weak, 'metrics.idle', {})).status).toBe(403);
	}, 90_000);

	it('keeps the samples taken while the server is down and delivers them after it restarts', async () => {
		const count = async () => (await history()).points.reduce((n, x) => n + x.samples, 0);
		const before = await count();
		const mark = agent!.output().length;
		await server.stop();
		const down = Date.now();
		await agent!.waitFor(/disconnected/, 10_000, mark);
		await new Promise((r) => setTimeout(r, 12_000));
		const up = Date.now();
		server = await startServer({
			...env,
			FLEETDESK_DATA_DIR: server.dataDir,
			FLEETDESK_AGENT_PORT: String(server.agentPort)
		});
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		await until(async () => (await count()) >= before + 4, 20_000);
		await agent!.stop();
		await server.stop();
		// straight from the database, now that the server has let go of it
		const database = await openDatabase({ databaseUrl: pgdb?.url, dataDir: server.dataDir });
		try {
			const times = (
				await database.db
					.select({ at: metricSamples.at })
					.from(metricSamples)
					.where(eq(metricSamples.deviceId, deviceId))
			).map((r) => r.at.getTime());
			expect(times.filter((t) => t > down && t < up).length).toBeGreaterThanOrEqual(2);
			expect(new Set(times).size).toBe(times.length);
		} finally {
			await database.close();
		}
	}, 90_000);
});
