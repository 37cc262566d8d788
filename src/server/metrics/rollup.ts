// The arithmetic of resource history: samples → an hourly aggregate, hourly → daily (weighted by samples),
// and the UTC calendar buckets. Pure, so it is tested without a database.
import type { RollupFilesystem, SampleFilesystem } from '../db/schema/metrics';
import { MAX_METRIC_FILESYSTEMS } from '../../lib/protocol/metrics';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface RawSample {
	at: Date;
	cpu: number;
	memTotal: number;
	memUsed: number;
	swapTotal: number;
	swapUsed: number;
	load1: number | null;
	load5: number | null;
	load15: number | null;
	filesystems: SampleFilesystem[];
}

export interface Aggregate {
	samples: number;
	cpuAvg: number;
	cpuMax: number;
	memTotal: number;
	memUsedAvg: number;
	memUsedMax: number;
	swapTotal: number;
	swapUsedAvg: number;
	swapUsedMax: number;
	load1Avg: number | null;
	load1Max: number | null;
	load5Avg: number | null;
	load15Avg: number | null;
	filesystems: RollupFilesystem[];
}

/** Mounts come and go within a bucket; the union is bounded all the same. */
const MAX_ROLLUP_FILESYSTEMS = MAX_METRIC_FILESYSTEMS * 2;

export const hourStart = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
export const dayStart = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
/** ISO weeks: Monday 00:00 UTC. */
export function weekStart(t: number): number {
	const d = dayStart(t);
	return d - ((new Date(d).getUTCDay() + 6) % 7) * DAY_MS;
}
export function monthStart(t: number): number {
	const d = new Date(t);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
export type Period = 'hour' | 'day' | 'week' | 'month';
export function periodStart(p: Period, t: number): number {
	return { hour: hourStart, day: dayStart, week: weekStart, month: monthStart }[p](t);
}
/** The start of the period after the one `start` begins. */
export function periodEnd(p: Period, start: number): number {
	if (p === 'month') {
		const d = new Date(start);
		return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
	}
	return start + { hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS }[p];
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/** Averages over the entries that have a value; null when none has. */
function weightedMean(values: { v: number | null; w: number }[]): number | null {
	let sum = 0;
	let weight = 0;
	for (const { v, w } of values)
		if (v !== null && Number.isFinite(v) && w > 0) {
			sum += v * w;
			weight += w;
		}
	return weight ? sum / weight : null;
}

function maxOf(values: (number | null)[]): number | null {
	let m: number | null = null;
	for (const v of values) if (v !== null && Number.isFinite(v) && (m === null || v > m)) m = v;
	return m;
}

/** Per mount, the highest use in the list (latest size wins); the largest filesystems when there are too many. */
function mergeFilesystems(lists: { mount: string; size: number; pct: number }[][]): RollupFilesystem[] {
	const byMount = new Map<string, RollupFilesystem>();
	for (const list of lists)
		for (const f of list) {
			const cur = byMount.get(f.mount);
			byMount.set(f.mount, {
				mount: f.mount,
				size: f.size,
				usedPctMax: r2(Math.max(cur?.usedPctMax ?? 0, f.pct))
			});
		}
	return [...byMount.values()]
		.sort((a, b) => b.size - a.size)
		.slice(0, MAX_ROLLUP_FILESYSTEMS)
		.sort((a, b) => a.mount.localeCompare(b.mount));
}

/** One bucket's samples (any order) → its aggregate. Totals (memory, swap, filesystem size) are the latest. */
export function rollupSamples(samples: RawSample[]): Aggregate {
	if (!samples.length) throw new Error('rollupSamples needs at least one sample');
	const s = [...samples].sort((a, b) => a.at.getTime() - b.at.getTime());
	const last = s[s.length - 1];
	const one = (v: number | null) => ({ v, w: 1 });
	return {
		samples: s.length,
		cpuAvg: r2(weightedMean(s.map((x) => one(x.cpu)))!),
		cpuMax: r2(maxOf(s.map((x) => x.cpu))!),
		memTotal: last.memTotal,
		memUsedAvg: Math.round(weightedMean(s.map((x) => one(x.memUsed)))!),
		memUsedMax: maxOf(s.map((x) => x.memUsed))!,
		swapTotal: last.swapTotal,
		swapUsedAvg: Math.round(weightedMean(s.map((x) => one(x.swapUsed)))!),
		swapUsedMax: maxOf(s.map((x) => x.swapUsed))!,
		load1Avg: nullableR2(weightedMean(s.map((x) => one(x.load1)))),
		load1Max: maxOf(s.map((x) => x.load1)),
		load5Avg: nullableR2(weightedMean(s.map((x) => one(x.load5)))),
		load15Avg: nullableR2(weightedMean(s.map((x) => one(x.load15)))),
		filesystems: mergeFilesystems(
			s.map((x) => x.filesystems.map((f) => ({ mount: f.mount, size: f.size, pct: f.usedPct })))
		)
	};
}

const nullableR2 = (n: number | null) => (n === null ? null : r2(n));

/**
 * Aggregates of consecutive buckets (oldest first) → one aggregate of the whole: averages weighted by each
 * bucket's samples (an hour with 60 samples counts 60 times one with 1), maxima of the maxima.
 */
export function combineAggregates(parts: Aggregate[]): Aggregate {
	if (!parts.length) throw new Error('combineAggregates needs at least one aggregate');
	const last = parts[parts.length - 1];
	const w = (v: number | null, p: Aggregate) => ({ v, w: p.samples });
	return {
		samples: parts.reduce((n, p) => n + p.samples, 0),
		cpuAvg: r2(weightedMean(parts.map((p) => w(p.cpuAvg, p)))!),
		cpuMax: maxOf(parts.map((p) => p.cpuMax))!,
		memTotal: last.memTotal,
		memUsedAvg: Math.round(weightedMean(parts.map((p) => w(p.memUsedAvg, p)))!),
		memUsedMax: maxOf(parts.map((p) => p.memUsedMax))!,
		swapTotal: last.swapTotal,
		swapUsedAvg: Math.round(weightedMean(parts.map((p) => w(p.swapUsedAvg, p)))!),
		swapUsedMax: maxOf(parts.map((p) => p.swapUsedMax))!,
		load1Avg: nullableR2(weightedMean(parts.map((p) => w(p.load1Avg, p)))),
		load1Max: maxOf(parts.map((p) => p.load1Max)),
		load5Avg: nullableR2(weightedMean(parts.map((p) => w(p.load5Avg, p)))),
		load15Avg: nullableR2(weightedMean(parts.map((p) => w(p.load15Avg, p)))),
		filesystems: mergeFilesystems(
			parts.map((p) => p.filesystems.map((f) => ({ mount: f.mount, size: f.size, pct: f.usedPctMax })))
		)
	};
}

/** Groups items by a bucket key (a period start), oldest bucket first. */
export function groupBy<T>(items: T[], key: (x: T) => number): [number, T[]][] {
	const groups = new Map<number, T[]>();
	for (const x of items) {
		const k = key(x);
		const g = groups.get(k);
		if (g) g.push(x);
		else groups.set(k, [x]);
	}
	return [...groups.entries()].sort((a, b) => a[0] - b[0]);
}
