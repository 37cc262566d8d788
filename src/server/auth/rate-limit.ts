/**
 * Per-key fixed-window counter for unauthenticated traffic. It is per node on purpose: it blunts floods
 * at the door, while the account lockout (in the database) is what stops password guessing across nodes.
 */
export class RateLimiter {
	private hits = new Map<string, { windowStart: number; count: number }>();
	constructor(
		private readonly limit: number,
		private readonly windowMs: number
	) {}

	/** Records one hit; returns the seconds to wait when over the limit, else 0. */
	hit(key: string, now = Date.now()): number {
		const e = this.hits.get(key);
		if (!e || now - e.windowStart >= this.windowMs) {
			this.hits.set(key, { windowStart: now, count: 1 });
			if (this.hits.size > 50_000) this.sweep(now);
			return 0;
		}
		e.count++;
		return e.count > this.limit ? Math.ceil((e.windowStart + this.windowMs - now) / 1000) : 0;
	}

	private sweep(now: number): void {
		for (const [k, e] of this.hits) if (now - e.windowStart >= this.windowMs) this.hits.delete(k);
	}
}
