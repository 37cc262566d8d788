// Which data a chart range reads (raw samples for a day, hourly aggregates for a week or month, daily for a
// year) and how it becomes the series the desktop draws. Pure, so it is tested without a database.
import {
	MAX_METRIC_FILESYSTEMS,
	type FilesystemSeries,
	type MetricsPoint,
	type MetricsRange,
	type MetricsResolution,
	type PeriodAverage
} from '../../lib/protocol/metrics';
import {
	DAY_MS,
	combineAggregates,
	dayStart,
	groupBy,
	hourStart,
	monthStart,
	periodEnd,
	periodStart,
	rollupSamples,
	weekStart,
	type Aggregate,
	type RawSample
} from './rollup';

/** A chart has at most this many points: raw samples taken more often than a minute are averaged per minute. */
export const MAX_POINTS = 1440;

export interface RangeSpec {
	from: number;
	to: number;
	resolution: MetricsResolution;
}

export function rangeSpec(range: MetricsRange, now: number): RangeSpec {
	switch (range) {
		case 'day':
			return { from: now - DAY_MS, to: now, resolution: 'raw' };
		case 'week':
			return { from: hourStart(now - 7 * DAY_MS), to: now, resolution: 'hour' };
		case 'month':
			return { from: hourStart(now - 30 * DAY_MS), to: now, resolution: 'hour' };
		case 'year':
			return { from: dayStart(now - 365 * DAY_MS), to: now, resolution: 'day' };
	}
}

/** Averages are of whole calendar periods, so they start with the week or month the range begins in. */
export function averagesFrom(from: number): number {
	return Math.min(weekStart(from), monthStart(from));
}

/** Width of a raw chart bucket: whole minutes, so that a range has at most MAX_POINTS points. */
export function rawBucketMs(from: number, to: number): number {
	return Math.max(1, Math.ceil((to - from) / MAX_POINTS / 60_000)) * 60_000;
}

export interface Bucket {
	t: number;
	agg: Aggregate;
}

/** Raw samples → one aggregate per bucket of `widthMs` (one sample per bucket stays that sample). */
export function rawBuckets(samples: RawSample[], widthMs: number): Bucket[] {
	return groupBy(samples, (s) => Math.floor(s.at.getTime() / widthMs) * widthMs).map(([t, group]) => ({
		t,
		agg: rollupSamples(group)
	}));
}

/** More buckets than a chart can use (a month of hours is 720; fine) are merged in runs, for safety. */
export function thin(buckets: Bucket[], max = MAX_POINTS): Bucket[] {
	if (buckets.length <= max) return buckets;
	const k = Math.ceil(buckets.length / max);
	const out: Bucket[] = [];
	for (let i = 0; i < buckets.length; i += k) {
		const run = buckets.slice(i, i + k);
		out.push({ t: run[0].t, agg: combineAggregates(run.map((b) => b.agg)) });
	}
	return out;
}

export function toPoint(b: Bucket): MetricsPoint {
	const a = b.agg;
	return {
		t: b.t,
		samples: a.samples,
		cpu: a.cpuAvg,
		cpuMax: a.cpuMax,
		memTotal: a.memTotal,
		memUsed: a.memUsedAvg,
		memUsedMax: a.memUsedMax,
		swapTotal: a.swapTotal,
		swapUsed: a.swapUsedAvg,
		swapUsedMax: a.swapUsedMax,
		load1: a.load1Avg,
		load5: a.load5Avg,
		load15: a.load15Avg
	};
}

/** Per mount, its highest use in each bucket; the largest filesystems (by latest size) when there are many. */
export function filesystemSeries(buckets: Bucket[]): FilesystemSeries[] {
	const byMount = new Map<string, FilesystemSeries>();
	for (const b of buckets)
		for (const f of b.agg.filesystems) {
			let s = byMount.get(f.mount);
			if (!s) byMount.set(f.mount, (s = { mount: f.mount, size: f.size, points: [] }));
			s.size = f.size;
			s.points.push([b.t, f.usedPctMax]);
		}
	return [...byMount.values()]
		.sort((a, b) => b.size - a.size)
		.slice(0, MAX_METRIC_FILESYSTEMS)
		.sort((a, b) => a.mount.localeCompare(b.mount));
}

export interface DailyCpu {
	t: number;
	samples: number;
	cpuAvg: number;
}

/**
 * The average CPU of each calendar day, ISO week or month (UTC) that overlaps [from, to], from the daily
 * aggregates, weighted by samples. Periods without data are left out.
 */
export function periodAverages(
	daily: DailyCpu[],
	unit: 'day' | 'week' | 'month',
	from: number,
	to: number
): PeriodAverage[] {
	const out: PeriodAverage[] = [];
	for (const [start, days] of groupBy(daily, (d) => periodStart(unit, d.t))) {
		const end = periodEnd(unit, start);
		if (end <= from || start > to) continue;
		const samples = days.reduce((n, d) => n + d.samples, 0);
		if (!samples) continue;
		const cpu = days.reduce((s, d) => s + d.cpuAvg * d.samples, 0) / samples;
		out.push({ from: start, to: end, cpu: Math.round(cpu * 100) / 100, samples });
	}
	return out;
}
