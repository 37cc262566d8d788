// The resource-history job, every few minutes on every node: rolls newly arrived samples up into hourly and
// daily aggregates, then prunes what is past retention. One node at a time does the work (a transaction-
// scoped advisory lock; the others skip that round), and every write is an upsert of a whole bucket
// recomputed from its sources, so a round repeated or cut short does no harm.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { metricJobState, metricRollups } from '../db/schema';
import type { RollupFilesystem, SampleFilesystem } from '../db/schema/metrics';
import { retention, type MetricsRetention } from './ingest';
import { combineAggregates, DAY_MS, groupBy, HOUR_MS, rollupSamples, type Aggregate } from './rollup';

export const JOB_INTERVAL_MS = 5 * 60_000;
/**
 * Samples are stamped with their transaction's start time, so one still committing when the job reads can
 * carry a time just before the watermark: each round looks this far back again (rollups are idempotent).
 */
const OVERLAP_MS = 10 * 60_000;
/** Rows deleted per table per round: a lowered retention is caught up over a few rounds, not in one lock. */
const PRUNE_BATCH = 100_000;
/** (device, bucket) pairs per query. */
const CHUNK = 500;

export interface JobResult {
	hours: number;
	days: number;
	prunedSamples: number;
	prunedRollups: number;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Runs one round; null when another node holds the lock. `now` moves the retention cut-off (tests). */
export async function runMetricsJob(
	db: Db,
	keep: MetricsRetention = retention(),
	now?: Date
): Promise<JobResult | null> {
	return db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const [lock] = await queryRows<{ locked: boolean; now: Date | string }>(
			t,
			sql`select pg_try_advisory_xact_lock(hashtext('fleetdesk.metrics')) as locked, now() as now`
		);
		if (!lock.locked) return null;
		const at = new Date(lock.now);
		const [state] = await queryRows<{ watermark: Date | string }>(
			t,
			sql`select watermark from metric_job_state where name = 'rollup'`
		);
		const since = state ? new Date(new Date(state.watermark).getTime() - OVERLAP_MS) : new Date(0);
		const hours = await rollupHours(t, since);
		const days = await rollupDays(t, hours);
		await t
			.insert(metricJobState)
			.values({ name: 'rollup', watermark: at, ranAt: at })
			.onConflictDoUpdate({ target: metricJobState.name, set: { watermark: at, ranAt: at } });
		return { hours: hours.length, days: days, ...(await prune(t, (now ?? at).getTime(), keep)) };
	});
}

interface Pair {
	d: number;
	/** Hours (or days) since the epoch: time zone–proof bucket numbers. */
	n: number;
}

async function rollupHours(t: Db, since: Date): Promise<Pair[]> {
	const touched = await queryRows<{ d: number; n: string | number }>(
		t,
		sql`select distinct device_id as d, floor(extract(epoch from at) / 3600)::bigint as n
			from metric_samples where received_at > ${since}`
	);
	const pairs = touched.map((r) => ({ d: Number(r.d), n: Number(r.n) }));
	for (let i = 0; i < pairs.length; i += CHUNK) {
		const part = pairs.slice(i, i + CHUNK);
		const rows = await queryRows<Record<string, unknown>>(
			t,
			sql`select s.device_id, s.at, s.cpu, s.mem_total, s.mem_used, s.swap_total, s.swap_used,
					s.load1, s.load5, s.load15, s.filesystems
				from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as b(d int, n bigint)
				join metric_samples s on s.device_id = b.d
					and s.at >= to_timestamp(b.n * 3600) and s.at < to_timestamp((b.n + 1) * 3600)`
		);
		const samples = rows.map((r) => ({
			deviceId: Number(r.device_id),
			at: new Date(r.at as string),
			cpu: Number(r.cpu),
			memTotal: Number(r.mem_total),
			memUsed: Number(r.mem_used),
			swapTotal: Number(r.swap_total),
			swapUsed: Number(r.swap_used),
			load1: num(r.load1),
			load5: num(r.load5),
			load15: num(r.load15),
			filesystems: r.filesystems as SampleFilesystem[]
		}));
		const buckets = groupBy(samples, (s) => Math.floor(s.at.getTime() / HOUR_MS)).flatMap(([h, inHour]) =>
			groupBy(inHour, (s) => s.deviceId).map(([d, group]) => ({
				deviceId: d,
				bucket: new Date(h * HOUR_MS),
				agg: rollupSamples(group)
			}))
		);
		await upsertRollups(t, 'hour', buckets);
	}
	return pairs;
}

/** The days of the touched hours, recomputed from their hourly aggregates. Returns how many. */
async function rollupDays(t: Db, hours: Pair[]): Promise<number> {
	const seen = new Set<string>();
	const pairs: Pair[] = [];
	for (const h of hours) {
		const p = { d: h.d, n: Math.floor((h.n * HOUR_MS) / DAY_MS) };
		const k = `${p.d}:${p.n}`;
		if (seen.has(k)) continue;
		seen.add(k);
		pairs.push(p);
	}
	for (let i = 0; i < pairs.length; i += CHUNK) {
		const part = pairs.slice(i, i + CHUNK);
		const rows = await queryRows<Record<string, unknown>>(
			t,
			sql`select r.* from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as b(d int, n bigint)
				join metric_rollups r on r.device_id = b.d and r.resolution = 'hour'
					and r.bucket >= to_timestamp(b.n * 86400) and r.bucket < to_timestamp((b.n + 1) * 86400)
				order by r.bucket`
		);
		const hourly = rows.map((r) => ({
			deviceId: Number(r.device_id),
			bucket: new Date(r.bucket as string),
			agg: aggregateOf(r)
		}));
		const buckets = groupBy(hourly, (h) => Math.floor(h.bucket.getTime() / DAY_MS)).flatMap(([day, inDay]) =>
			groupBy(inDay, (h) => h.deviceId).map(([d, group]) => ({
				deviceId: d,
				bucket: new Date(day * DAY_MS),
				agg: combineAggregates(group.map((g) => g.agg))
			}))
		);
		await upsertRollups(t, 'day', buckets);
	}
	return pairs.length;
}

/** A metric_rollups row (snake_case, as raw SQL returns it) → its aggregate. */
export function aggregateOf(r: Record<string, unknown>): Aggregate {
	return {
		samples: Number(r.samples),
		cpuAvg: Number(r.cpu_avg),
		cpuMax: Number(r.cpu_max),
		memTotal: Number(r.mem_total),
		memUsedAvg: Number(r.mem_used_avg),
		memUsedMax: Number(r.mem_used_max),
		swapTotal: Number(r.swap_total),
		swapUsedAvg: Number(r.swap_used_avg),
		swapUsedMax: Number(r.swap_used_max),
		load1Avg: num(r.load1_avg),
		load1Max: num(r.load1_max),
		load5Avg: num(r.load5_avg),
		load15Avg: num(r.load15_avg),
		filesystems: r.filesystems as RollupFilesystem[]
	};
}

const UPSERT_BULK = 1000;

async function upsertRollups(
	t: Db,
	resolution: 'hour' | 'day',
	buckets: { deviceId: number; bucket: Date; agg: Aggregate }[]
): Promise<void> {
	const excluded = (col: string) => sql.raw(`excluded.${col}`);
	for (let i = 0; i < buckets.length; i += UPSERT_BULK) {
		await t
			.insert(metricRollups)
			.values(
				buckets
					.slice(i, i + UPSERT_BULK)
					.map((b) => ({ deviceId: b.deviceId, resolution, bucket: b.bucket, ...b.agg }))
			)
			.onConflictDoUpdate({
				target: [metricRollups.deviceId, metricRollups.resolution, metricRollups.bucket],
				set: {
					samples: excluded('samples'),
					cpuAvg: excluded('cpu_avg'),
					cpuMax: excluded('cpu_max'),
					memTotal: excluded('mem_total'),
					memUsedAvg: excluded('mem_used_avg'),
					memUsedMax: excluded('mem_used_max'),
					swapTotal: excluded('swap_total'),
					swapUsedAvg: excluded('swap_used_avg'),
					swapUsedMax: excluded('swap_used_max'),
					load1Avg: excluded('load1_avg'),
					load1Max: excluded('load1_max'),
					load5Avg: excluded('load5_avg'),
					load15Avg: excluded('load15_avg'),
					filesystems: excluded('filesystems')
				}
			});
	}
}

async function prune(
	t: Db,
	now: number,
	keep: MetricsRetention
): Promise<{ prunedSamples: number; prunedRollups: number }> {
	const rawCut = new Date(now - keep.rawDays * DAY_MS);
	const rollupCut = new Date(now - keep.rollupDays * DAY_MS);
	const samples = await queryRows<{ n: number }>(
		t,
		sql`with gone as (
				delete from metric_samples where (device_id, at) in (
					select device_id, at from metric_samples where received_at < ${rawCut} limit ${PRUNE_BATCH})
				returning 1)
			select count(*)::int as n from gone`
	);
	const rollups = await queryRows<{ n: number }>(
		t,
		sql`with gone as (
				delete from metric_rollups where (device_id, resolution, bucket) in (
					select device_id, resolution, bucket from metric_rollups
					where resolution in ('hour', 'day') and bucket < ${rollupCut} limit ${PRUNE_BATCH})
				returning 1)
			select count(*)::int as n from gone`
	);
	return { prunedSamples: Number(samples[0].n), prunedRollups: Number(rollups[0].n) };
}

/**
 * Runs the job on this node every `intervalMs` (FLEETDESK_METRICS_JOB_SECONDS), the first time at a random
 * moment within the first interval (at most 40 s), so nodes started together do not all knock at once.
 * stop() waits for a round in progress.
 */
export function startMetricsJob(db: Db, intervalMs = JOB_INTERVAL_MS): { stop(): Promise<void> } {
	let timer: NodeJS.Timeout | undefined;
	let running: Promise<unknown> = Promise.resolve();
	let stopped = false;
	const schedule = (ms: number) => {
		if (stopped) return;
		timer = setTimeout(() => {
			running = runMetricsJob(db)
				.catch((e: Error) => console.error('metrics rollup failed:', e.message))
				.finally(() => schedule(intervalMs));
		}, ms);
		timer.unref();
	};
	schedule(Math.min(intervalMs, 40_000) * (0.5 + Math.random() / 2));
	return {
		async stop() {
			stopped = true;
			clearTimeout(timer);
			await running;
		}
	};
}
