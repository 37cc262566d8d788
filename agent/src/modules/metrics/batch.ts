// Samples go out one per report while the link keeps up. When reports pile up (the link is down), samples
// are held and sent as one report of many: the outbox's message bound then covers days instead of hours.
import type { MetricsSample } from '../../../../src/lib/protocol/metrics';

/** At most this many reports waiting means the link keeps up. */
export const LIVE_BACKLOG = 2;
/** Samples per batch while the link is down (30 minutes at the default interval). */
export const BATCH_SAMPLES = 30;
/** Well under the link's 1 MB message limit even for hosts with many cores and mounts. */
export const BATCH_BYTES = 256 * 1024;

export class SampleBatcher {
	private held: MetricsSample[] = [];
	private bytes = 0;

	constructor(
		/** Queues one report; false if the outbox dropped it. */
		private readonly send: (samples: MetricsSample[]) => boolean,
		private readonly backlog: () => number,
		private readonly limits = { samples: BATCH_SAMPLES, bytes: BATCH_BYTES }
	) {}

	get holding(): number {
		return this.held.length;
	}

	add(sample: MetricsSample): void {
		const size = Buffer.byteLength(JSON.stringify(sample));
		// This one would make the batch too large: send what is held first.
		if (this.held.length && this.bytes + size > this.limits.bytes) this.flush();
		this.held.push(sample);
		this.bytes += size;
		if (this.backlog() < LIVE_BACKLOG || this.held.length >= this.limits.samples) this.flush();
	}

	/** Queues everything held as one report (also called when the link is back). */
	flush(): void {
		if (!this.held.length) return;
		const samples = this.held;
		this.held = [];
		this.bytes = 0;
		this.send(samples);
	}
}
