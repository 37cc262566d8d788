// Resource history on the server (docs/metrics.md): importing this registers the `metrics` report handler.
import './ingest';
import type { Runtime } from '../runtime';
import { startMetricsJob } from './job';

/** Registers the report handler (on import) and starts the rollup and retention job on this node. */
export function startMetrics(rt: Runtime): { stop(): Promise<void> } {
	return startMetricsJob(rt.db, rt.config.metrics.jobSeconds * 1000);
}
