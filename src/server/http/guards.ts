import { RateLimiter } from '../auth/rate-limit';

const KEY = Symbol.for('fleetdesk.rateLimiters');
type Limiters = { login: RateLimiter; anonymous: RateLimiter };
type G = typeof globalThis & { [KEY]?: Limiters };

/** Shared by every bundle in the process (see runtime.ts for why it lives on globalThis). */
export function limiters(loginPerMinute: number): Limiters {
	const g = globalThis as G;
	return (g[KEY] ??= {
		login: new RateLimiter(loginPerMinute, 60_000),
		anonymous: new RateLimiter(600, 60_000)
	});
}
