import {
	pgTable,
	text,
	integer,
	bigint,
	real,
	timestamp,
	jsonb,
	index,
	primaryKey
} from 'drizzle-orm/pg-core';
import { devices } from './access';

/** A filesystem in a raw sample. */
export interface SampleFilesystem {
	mount: string;
	size: number;
	used: number;
	usedPct: number;
}

/** A filesystem in an aggregate: the highest use seen in the bucket. */
export interface RollupFilesystem {
	mount: string;
	size: number;
	usedPctMax: number;
}

/**
 * Resource samples as agents report them, one row per device and time; kept FLEETDESK_METRICS_RAW_DAYS
 * (pruned by arrival time, indexed for that and for the rollup's "what arrived since").
 */
export const metricSamples = pgTable(
	'metric_samples',
	{
		deviceId: integer('device_id')
			.notNull()
			.references(() => devices.id, { onDelete: 'cascade' }),
		at: timestamp('at', { withTimezone: true }).notNull(),
		receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
		/** Busy percent of all CPUs, then of each core. */
		cpu: real('cpu').notNull(),
		cpuCores: real('cpu_cores').array().notNull(),
		memTotal: bigint('mem_total', { mode: 'number' }).notNull(),
		memUsed: bigint('mem_used', { mode: 'number' }).notNull(),
		swapTotal: bigint('swap_total', { mode: 'number' }).notNull(),
		swapUsed: bigint('swap_used', { mode: 'number' }).notNull(),
		load1: real('load1'),
		load5: real('load5'),
		load15: real('load15'),
		filesystems: jsonb('filesystems').$type<SampleFilesystem[]>().notNull()
	},
	(t) => [primaryKey({ columns: [t.deviceId, t.at] }), index('metric_samples_received_idx').on(t.receivedAt)]
);

/**
 * Hourly ('hour') and daily ('day', UTC) aggregates per device, kept FLEETDESK_METRICS_ROLLUP_DAYS. A bucket
 * is recomputed whole from its sources whenever one of them changes, so writing it twice is harmless.
 */
export const metricRollups = pgTable(
	'metric_rollups',
	{
		deviceId: integer('device_id')
			.notNull()
			.references(() => devices.id, { onDelete: 'cascade' }),
		resolution: text('resolution').$type<'hour' | 'day'>().notNull(),
		bucket: timestamp('bucket', { withTimezone: true }).notNull(),
		samples: integer('samples').notNull(),
		cpuAvg: real('cpu_avg').notNull(),
		cpuMax: real('cpu_max').notNull(),
		memTotal: bigint('mem_total', { mode: 'number' }).notNull(),
		memUsedAvg: bigint('mem_used_avg', { mode: 'number' }).notNull(),
		memUsedMax: bigint('mem_used_max', { mode: 'number' }).notNull(),
		swapTotal: bigint('swap_total', { mode: 'number' }).notNull(),
		swapUsedAvg: bigint('swap_used_avg', { mode: 'number' }).notNull(),
		swapUsedMax: bigint('swap_used_max', { mode: 'number' }).notNull(),
		load1Avg: real('load1_avg'),
		load1Max: real('load1_max'),
		load5Avg: real('load5_avg'),
		load15Avg: real('load15_avg'),
		filesystems: jsonb('filesystems').$type<RollupFilesystem[]>().notNull()
	},
	(t) => [
		primaryKey({ columns: [t.deviceId, t.resolution, t.bucket] }),
		index('metric_rollups_bucket_idx').on(t.resolution, t.bucket)
	]
);

/** Where the rollup job got to: samples that arrived after `watermark` (less a margin) are rolled up next. */
export const metricJobState = pgTable('metric_job_state', {
	name: text('name').primaryKey(),
	watermark: timestamp('watermark', { withTimezone: true }).notNull(),
	ranAt: timestamp('ran_at', { withTimezone: true }).notNull()
});
