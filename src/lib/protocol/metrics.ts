// Resource history: what the agent's metrics module reports, and what the desktop gets back. Shared by the
// agent (which bundles this file), the server and the browser.
import { z } from 'zod';

/** Filesystems per sample: the largest are kept (a host with hundreds of bind mounts must not bloat reports). */
export const MAX_METRIC_FILESYSTEMS = 32;
export const MAX_METRIC_CORES = 1024;
/** Samples per report: one while the link keeps up, batches while it is down. */
export const MAX_SAMPLES_PER_REPORT = 120;

const pct = z.number().min(0).max(100);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const load = z.number().min(0).max(1e6);

export const metricsFilesystemSchema = z.object({
	mount: z.string().min(1).max(512),
	size: bytes,
	used: bytes,
	/** As df shows it: used of what non-root users can use. */
	usedPct: pct
});
export type MetricsFilesystem = z.infer<typeof metricsFilesystemSchema>;

export const metricsSampleSchema = z.object({
	/** When the sample was taken (ISO 8601). */
	at: z.iso.datetime({ offset: true }),
	/** Busy percent (not idle, not waiting for I/O) since the previous sample: all CPUs, then each core. */
	cpu: z.object({ total: pct, cores: z.array(pct).max(MAX_METRIC_CORES) }),
	memory: z.object({ total: bytes, used: bytes }),
	swap: z.object({ total: bytes, used: bytes }),
	/** 1, 5 and 15 minute load averages; null where the OS has none (Windows). */
	load: z.tuple([load, load, load]).nullable(),
	filesystems: z.array(metricsFilesystemSchema).max(MAX_METRIC_FILESYSTEMS)
});
export type MetricsSample = z.infer<typeof metricsSampleSchema>;

/** The `metrics` report: one or more samples, oldest first. */
export const metricsReportSchema = z.object({
	samples: z.array(metricsSampleSchema).min(1).max(MAX_SAMPLES_PER_REPORT)
});
export type MetricsReport = z.infer<typeof metricsReportSchema>;

// ------------------------------------------------------------------ what the desktop gets

export const METRICS_RANGES = ['day', 'week', 'month', 'year'] as const;
export type MetricsRange = (typeof METRICS_RANGES)[number];
/** raw samples for a day, hourly aggregates for a week or a month, daily ones for a year. */
export type MetricsResolution = 'raw' | 'hour' | 'day';

/** One point of a series; times are milliseconds since the epoch (bucket start for aggregates). */
export interface MetricsPoint {
	t: number;
	samples: number;
	cpu: number;
	cpuMax: number;
	memTotal: number;
	memUsed: number;
	memUsedMax: number;
	swapTotal: number;
	swapUsed: number;
	swapUsedMax: number;
	load1: number | null;
	load5: number | null;
	load15: number | null;
}

export interface FilesystemSeries {
	mount: string;
	/** The latest size seen. */
	size: number;
	/** [time, used % (the maximum in the bucket for aggregates)] */
	points: [number, number][];
}

/** The average CPU of one calendar day, ISO week or month (UTC), weighted by samples. */
export interface PeriodAverage {
	from: number;
	to: number;
	cpu: number;
	samples: number;
}

export interface MetricsHistory {
	deviceId: number;
	range: MetricsRange;
	resolution: MetricsResolution;
	from: number;
	to: number;
	points: MetricsPoint[];
	filesystems: FilesystemSeries[];
	averages: { day: PeriodAverage[]; week: PeriodAverage[]; month: PeriodAverage[] };
}

/** A device in the side-by-side "top" view: its latest sample and the last hour's average. */
export interface TopDevice {
	deviceId: number;
	name: string;
	online: boolean;
	lastSeenAt: string | null;
	latest: {
		at: number;
		cpu: number;
		cores: number[];
		memTotal: number;
		memUsed: number;
		swapTotal: number;
		swapUsed: number;
		load: [number, number, number] | null;
		filesystems: MetricsFilesystem[];
	} | null;
	lastHour: { cpu: number; cpuMax: number; memUsed: number; load1: number | null; samples: number } | null;
}

export const IDLE_SORT_KEYS = ['name', 'avgCpu', 'maxCpu', 'samples', 'dataSince', 'lastSeenAt'] as const;
export type IdleSortKey = (typeof IDLE_SORT_KEYS)[number];

/** The idle-servers report's parameters (tRPC and the CSV download). */
export const idleQuerySchema = z.object({
	thresholdPct: z
		.number('The threshold must be a number')
		.min(0.1, 'The threshold must be at least 0.1 %')
		.max(100, 'The threshold must be at most 100 %')
		.default(3),
	days: z
		.number('The period must be a number of days')
		.int('The period must be a whole number of days')
		.min(1, 'The period must be at least 1 day')
		.max(3660, 'The period must be at most 3660 days')
		.default(7),
	sort: z.enum(IDLE_SORT_KEYS).default('avgCpu'),
	dir: z.enum(['asc', 'desc']).default('asc')
});
export type IdleQuery = z.infer<typeof idleQuerySchema>;

export interface IdleDevice {
	deviceId: number;
	name: string;
	avgCpu: number;
	maxCpu: number;
	/** Samples in the period (over its hourly aggregates). */
	samples: number;
	/** The first hour in the period with data: later than its start for a device added meanwhile. */
	dataSince: string;
	/** The agent's last contact. */
	lastSeenAt: string | null;
}
