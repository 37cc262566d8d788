// What the desktop reads: a device's history at the resolution its range needs, the latest figures of a few
// devices side by side, and the idle-servers report.
import { and, asc, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, devices, metricRollups, metricSamples } from '../db/schema';
import { UserError } from '../errors';
import type {
	IdleDevice,
	IdleQuery,
	MetricsHistory,
	MetricsRange,
	TopDevice
} from '../../lib/protocol/metrics';
import type { MetricsRetention } from './ingest';
import { hourStart, DAY_MS, HOUR_MS, type Aggregate } from './rollup';
import {
	averagesFrom,
	filesystemSeries,
	periodAverages,
	rangeSpec,
	rawBucketMs,
	rawBuckets,
	thin,
	toPoint,
	type Bucket
} from './series';

async function deviceName(db: Db, deviceId: number): Promise<string> {
	const [d] = await db.select({ name: devices.name }).from(devices).where(eq(devices.id, deviceId));
	if (!d) throw new UserError(`There is no device ${deviceId}.`, 'NOT_FOUND');
	return d.name;
}

const rollupAggregate = (r: typeof metricRollups.$inferSelect): Aggregate => ({
	samples: r.samples,
	cpuAvg: r.cpuAvg,
	cpuMax: r.cpuMax,
	memTotal: r.memTotal,
	memUsedAvg: r.memUsedAvg,
	memUsedMax: r.memUsedMax,
	swapTotal: r.swapTotal,
	swapUsedAvg: r.swapUsedAvg,
	swapUsedMax: r.swapUsedMax,
	load1Avg: r.load1Avg,
	load1Max: r.load1Max,
	load5Avg: r.load5Avg,
	load15Avg: r.load15Avg,
	filesystems: r.filesystems
});

export async function metricsHistory(
	db: Db,
	deviceId: number,
	range: MetricsRange,
	now = Date.now()
): Promise<MetricsHistory> {
	await deviceName(db, deviceId);
	const spec = rangeSpec(range, now);
	let buckets: Bucket[];
	if (spec.resolution === 'raw') {
		const rows = await db
			.select()
			.from(metricSamples)
			.where(and(eq(metricSamples.deviceId, deviceId), gte(metricSamples.at, new Date(spec.from))))
			.orderBy(asc(metricSamples.at));
		buckets = rawBuckets(rows, rawBucketMs(spec.from, spec.to));
	} else {
		const rows = await db
			.select()
			.from(metricRollups)
			.where(
				and(
					eq(metricRollups.deviceId, deviceId),
					eq(metricRollups.resolution, spec.resolution),
					gte(metricRollups.bucket, new Date(spec.from))
				)
			)
			.orderBy(asc(metricRollups.bucket));
		buckets = thin(rows.map((r) => ({ t: r.bucket.getTime(), agg: rollupAggregate(r) })));
	}
	const daily = await db
		.select({ t: metricRollups.bucket, samples: metricRollups.samples, cpuAvg: metricRollups.cpuAvg })
		.from(metricRollups)
		.where(
			and(
				eq(metricRollups.deviceId, deviceId),
				eq(metricRollups.resolution, 'day'),
				gte(metricRollups.bucket, new Date(averagesFrom(spec.from)))
			)
		)
		.orderBy(asc(metricRollups.bucket));
	const days = daily.map((d) => ({ t: d.t.getTime(), samples: d.samples, cpuAvg: d.cpuAvg }));
	return {
		deviceId,
		range,
		resolution: spec.resolution,
		from: spec.from,
		to: spec.to,
		points: buckets.map(toPoint),
		filesystems: filesystemSeries(buckets),
		averages: {
			day: periodAverages(days, 'day', spec.from, spec.to),
			week: periodAverages(days, 'week', spec.from, spec.to),
			month: periodAverages(days, 'month', spec.from, spec.to)
		}
	};
}

/** Online and last seen per device, over its agents (a re-enrolled host has a new device, but be safe). */
async function agentState(db: Db, deviceIds: number[]) {
	const rows = deviceIds.length
		? await db
				.select({
					deviceId: agents.deviceId,
					online: sql<boolean>`bool_or(${agents.connectionId} is not null and ${agents.leaseUntil} > now() and ${agents.revokedAt} is null)`,
					lastSeenAt: sql<Date | string | null>`max(${agents.lastSeenAt})`
				})
				.from(agents)
				.where(inArray(agents.deviceId, deviceIds))
				.groupBy(agents.deviceId)
		: [];
	return new Map(
		rows.map((r) => [
			r.deviceId!,
			{ online: !!r.online, lastSeenAt: r.lastSeenAt ? new Date(r.lastSeenAt).toISOString() : null }
		])
	);
}

export async function metricsTop(
	db: Db,
	deviceIds: number[],
	keep: MetricsRetention,
	now = Date.now()
): Promise<TopDevice[]> {
	const ids = [...new Set(deviceIds)];
	const found = await db
		.select({ id: devices.id, name: devices.name })
		.from(devices)
		.where(inArray(devices.id, ids));
	const latest = await db
		.selectDistinctOn([metricSamples.deviceId])
		.from(metricSamples)
		.where(
			and(inArray(metricSamples.deviceId, ids), gte(metricSamples.at, new Date(now - keep.rawDays * DAY_MS)))
		)
		.orderBy(metricSamples.deviceId, desc(metricSamples.at));
	const hour = await db
		.select({
			deviceId: metricSamples.deviceId,
			cpu: sql<number>`avg(${metricSamples.cpu})`,
			cpuMax: sql<number>`max(${metricSamples.cpu})`,
			memUsed: sql<number>`avg(${metricSamples.memUsed})`,
			load1: sql<number | null>`avg(${metricSamples.load1})`,
			samples: sql<number>`count(*)`
		})
		.from(metricSamples)
		.where(and(inArray(metricSamples.deviceId, ids), gte(metricSamples.at, new Date(now - HOUR_MS))))
		.groupBy(metricSamples.deviceId);
	const state = await agentState(
		db,
		found.map((d) => d.id)
	);
	const r2 = (v: unknown) => Math.round(Number(v) * 100) / 100;
	const byId = new Map(found.map((d) => [d.id, d.name]));
	return ids
		.filter((id) => byId.has(id))
		.map((id): TopDevice => {
			const l = latest.find((x) => x.deviceId === id);
			const h = hour.find((x) => x.deviceId === id);
			const s = state.get(id);
			return {
				deviceId: id,
				name: byId.get(id)!,
				online: s?.online ?? false,
				lastSeenAt: s?.lastSeenAt ?? null,
				latest: l
					? {
							at: l.at.getTime(),
							cpu: l.cpu,
							cores: l.cpuCores,
							memTotal: l.memTotal,
							memUsed: l.memUsed,
							swapTotal: l.swapTotal,
							swapUsed: l.swapUsed,
							load: l.load1 === null ? null : [l.load1, l.load5 ?? 0, l.load15 ?? 0],
							filesystems: l.filesystems
						}
					: null,
				lastHour: h
					? {
							cpu: r2(h.cpu),
							cpuMax: r2(h.cpuMax),
							memUsed: Math.round(Number(h.memUsed)),
							load1: h.load1 === null ? null : r2(h.load1),
							samples: Number(h.samples)
						}
					: null
			};
		});
}

/**
 * Devices whose average CPU over the last `days` stayed below the threshold, from the hourly aggregates
 * (weighted by samples). A device with no samples in the period is not listed: there is nothing to judge.
 */
export async function idleDevices(
	db: Db,
	q: IdleQuery,
	keep: MetricsRetention,
	now = Date.now()
): Promise<IdleDevice[]> {
	if (q.days > keep.rollupDays)
		throw new UserError(
			`Resource history is kept ${keep.rollupDays} days (FLEETDESK_METRICS_ROLLUP_DAYS): choose a period of at most that.`
		);
	const from = new Date(hourStart(now - q.days * DAY_MS));
	const rows = await db
		.select({
			deviceId: metricRollups.deviceId,
			name: devices.name,
			avgCpu: sql<number>`sum(${metricRollups.cpuAvg}::float8 * ${metricRollups.samples}) / sum(${metricRollups.samples})`,
			maxCpu: sql<number>`max(${metricRollups.cpuMax})`,
			samples: sql<number>`sum(${metricRollups.samples})`,
			dataSince: sql<Date | string>`min(${metricRollups.bucket})`
		})
		.from(metricRollups)
		.innerJoin(devices, eq(devices.id, metricRollups.deviceId))
		.where(and(eq(metricRollups.resolution, 'hour'), gte(metricRollups.bucket, from)))
		.groupBy(metricRollups.deviceId, devices.name)
		.having(
			sql`sum(${metricRollups.cpuAvg}::float8 * ${metricRollups.samples}) / sum(${metricRollups.samples}) < ${q.thresholdPct}`
		);
	const state = await agentState(
		db,
		rows.map((r) => r.deviceId)
	);
	const r2 = (v: unknown) => Math.round(Number(v) * 100) / 100;
	const list: IdleDevice[] = rows.map((r) => ({
		deviceId: r.deviceId,
		name: r.name,
		avgCpu: r2(r.avgCpu),
		maxCpu: r2(r.maxCpu),
		samples: Number(r.samples),
		dataSince: new Date(r.dataSince).toISOString(),
		lastSeenAt: state.get(r.deviceId)?.lastSeenAt ?? null
	}));
	return sortIdle(list, q.sort, q.dir);
}

/** Sorted by one column, then by name; missing "last seen" sorts last either way. */
export function sortIdle(list: IdleDevice[], key: IdleQuery['sort'], dir: IdleQuery['dir']): IdleDevice[] {
	const sign = dir === 'asc' ? 1 : -1;
	const byName = (a: IdleDevice, b: IdleDevice) => a.name.localeCompare(b.name);
	return [...list].sort((a, b) => {
		if (key === 'name') return sign * byName(a, b);
		const x = a[key];
		const y = b[key];
		if (x === null || y === null) return x === y ? byName(a, b) : x === null ? 1 : -1;
		const c = typeof x === 'number' ? x - (y as number) : String(x).localeCompare(String(y));
		return c ? sign * c : byName(a, b);
	});
}
