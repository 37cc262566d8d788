// Resource history: every `metricsSeconds` the agent samples CPU (total and per core), memory, swap,
// filesystems and load and reports them as `metrics` (docs/metrics.md). Reports taken while the link is
// down wait in the outbox like every report, batched (batch.ts).
import type { AgentModule } from '../types';
import { SampleBatcher } from './batch';
import { hostSampler, type Sampler } from './sampler';

/**
 * The metrics module with its source of samples: the host (`fleetdesk-agent run`), or a synthetic one for
 * each virtual agent of `simulate` (agent/src/simulate/metrics.ts), so thousands never read /proc or run df.
 */
export function createMetricsModule(makeSampler: () => Sampler = hostSampler): AgentModule {
	return {
		name: 'metrics',
		start(ctx) {
			const sample = makeSampler();
			const batcher = new SampleBatcher(
				(samples) => ctx.report('metrics', { samples }),
				() => ctx.backlog()
			);
			let busy = false;
			let failures = 0;
			const tick = async () => {
				// A slow sample (a hanging mount) never overlaps the next one.
				if (busy || ctx.signal.aborted) return;
				busy = true;
				try {
					batcher.add(await sample());
					failures = 0;
				} catch (e) {
					// Logged once per run of failures, not every interval.
					if (failures++ === 0) ctx.log('warning', `metrics sample failed: ${(e as Error).message}`);
				} finally {
					busy = false;
				}
			};
			const timer = setInterval(() => void tick(), ctx.cfg.metricsSeconds * 1000);
			ctx.onReady(() => batcher.flush());
			ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
		}
	};
}

export const metricsModule = createMetricsModule();
