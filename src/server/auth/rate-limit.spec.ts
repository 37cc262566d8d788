import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
	it('allows up to the limit per window, then tells how long to wait', () => {
		const r = new RateLimiter(3, 60_000);
		expect([r.hit('a', 0), r.hit('a', 1), r.hit('a', 2)]).toEqual([0, 0, 0]);
		expect(r.hit('a', 30_000)).toBe(30);
		expect(r.hit('b', 30_000)).toBe(0);
		expect(r.hit('a', 60_000)).toBe(0);
	});
});
