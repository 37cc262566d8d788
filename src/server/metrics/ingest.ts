// `metrics` reports: each sample becomes a row of metric_samples for the sender's device, inside the
// report's exactly-once transaction (src/server/agents/reports.ts).
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, metricSamples } from '../db/schema';
import { registerReportHandler } from '../agents/reports';
import { hasRuntime, runtime } from '../runtime';
import type { MetricsReport } from '../../lib/protocol/metrics';

export interface MetricsRetention {
	rawDays: number;
	rollupDays: number;
}

export const DEFAULT_RETENTION: MetricsRetention = { rawDays: 7, rollupDays: 400 };

export function retention(): MetricsRetention {
	if (!hasRuntime()) return DEFAULT_RETENTION;
	const { rawDays, rollupDays } = runtime().config.metrics;
	return { rawDays, rollupDays };
}

/** A clock this far ahead of ours is wrong: such samples would sit at the end of every chart. */
const MAX_FUTURE_MS = 5 * 60_000;

/**
 * Stores a report's samples; returns how many were kept. Samples older than the raw retention (they would be
 * pruned at once) or from the future are skipped, as is a repeated time (an agent restarted within a second).
 */
export async function storeMetrics(
	db: Db,
	agentId: string,
	report: MetricsReport,
	now = Date.now(),
	keep: MetricsRetention = retention()
): Promise<number> {
	const [agent] = await db.select({ deviceId: agents.deviceId }).from(agents).where(eq(agents.id, agentId));
	// A device deleted by an administrator: its agent's samples have nowhere to go.
	if (!agent?.deviceId) return 0;
	const oldest = now - keep.rawDays * 86_400_000;
	const rows = report.samples
		.map((s) => ({ s, at: new Date(s.at) }))
		.filter(({ at }) => at.getTime() >= oldest && at.getTime() <= now + MAX_FUTURE_MS)
		.map(({ s, at }) => ({
			deviceId: agent.deviceId!,
			at,
			cpu: s.cpu.total,
			cpuCores: s.cpu.cores,
			memTotal: s.memory.total,
			memUsed: s.memory.used,
			swapTotal: s.swap.total,
			swapUsed: s.swap.used,
			load1: s.load?.[0] ?? null,
			load5: s.load?.[1] ?? null,
			load15: s.load?.[2] ?? null,
			filesystems: s.filesystems
		}));
	if (!rows.length) return 0;
	const stored = await db
		.insert(metricSamples)
		.values(rows)
		.onConflictDoNothing()
		.returning({ at: metricSamples.at });
	return stored.length;
}

registerReportHandler('metrics', async (ctx, body) => {
	await storeMetrics(ctx.db, ctx.agentId, body);
});
