import { describe, expect, it } from 'vitest';
import {
	combineAggregates,
	dayStart,
	hourStart,
	monthStart,
	periodEnd,
	rollupSamples,
	weekStart,
	type RawSample
} from './rollup';

const GiB = 1024 ** 3;

function sample(at: string, cpu: number, over: Partial<RawSample> = {}): RawSample {
	return {
		at: new Date(at),
		cpu,
		memTotal: 8 * GiB,
		memUsed: 2 * GiB,
		swapTotal: GiB,
		swapUsed: 0,
		load1: 1,
		load5: 0.5,
		load15: 0.25,
		filesystems: [{ mount: '/', size: 100, used: 40, usedPct: 40 }],
		...over
	};
}

describe('rollup of raw samples', () => {
	it('averages and takes maxima; totals are the latest, whatever the order', () => {
		const a = rollupSamples([
			sample('2026-03-02T10:20:00Z', 30, { memUsed: 3 * GiB, memTotal: 16 * GiB, load1: 3 }),
			sample('2026-03-02T10:00:00Z', 10, { memUsed: 1 * GiB, load1: 1 }),
			sample('2026-03-02T10:10:00Z', 20, { memUsed: 2 * GiB, swapUsed: 100, load1: 2 })
		]);
		expect(a).toMatchObject({
			samples: 3,
			cpuAvg: 20,
			cpuMax: 30,
			memTotal: 16 * GiB,
			memUsedAvg: 2 * GiB,
			memUsedMax: 3 * GiB,
			swapUsedAvg: 33,
			swapUsedMax: 100,
			load1Avg: 2,
			load1Max: 3
		});
	});

	it('keeps the highest use per filesystem and the latest size; a mount seen once is kept', () => {
		const a = rollupSamples([
			sample('2026-03-02T10:00:00Z', 1, {
				filesystems: [
					{ mount: '/', size: 100, used: 90, usedPct: 90 },
					{ mount: '/mnt/usb', size: 50, used: 5, usedPct: 10 }
				]
			}),
			sample('2026-03-02T10:01:00Z', 1, { filesystems: [{ mount: '/', size: 200, used: 80, usedPct: 40 }] })
		]);
		expect(a.filesystems).toEqual([
			{ mount: '/', size: 200, usedPctMax: 90 },
			{ mount: '/mnt/usb', size: 50, usedPctMax: 10 }
		]);
	});

	it('has no load where the OS reports none, and averages load over the samples that have it', () => {
		expect(
			rollupSamples([sample('2026-03-02T10:00:00Z', 1, { load1: null, load5: null, load15: null })])
		).toMatchObject({ load1Avg: null, load1Max: null, load5Avg: null, load15Avg: null });
		expect(
			rollupSamples([
				sample('2026-03-02T10:00:00Z', 1, { load1: null }),
				sample('2026-03-02T10:01:00Z', 1, { load1: 4 })
			]).load1Avg
		).toBe(4);
	});

	it('refuses an empty bucket', () => {
		expect(() => rollupSamples([])).toThrow();
	});
});

describe('combining aggregates', () => {
	it('weights averages by samples: a full hour counts more than a nearly empty one', () => {
		const full = rollupSamples(
			Array.from({ length: 60 }, (_, i) => sample(`2026-03-02T10:${String(i).padStart(2, '0')}:00Z`, 10))
		);
		const sparse = rollupSamples([sample('2026-03-02T11:00:00Z', 70, { memUsed: 8 * GiB })]);
		const day = combineAggregates([full, sparse]);
		expect(day.samples).toBe(61);
		// (60·10 + 1·70) / 61, not (10 + 70) / 2
		expect(day.cpuAvg).toBeCloseTo(670 / 61, 2);
		expect(day.cpuMax).toBe(70);
		expect(day.memUsedMax).toBe(8 * GiB);
		expect(day.memUsedAvg).toBe(Math.round((60 * 2 * GiB + 8 * GiB) / 61));
	});

	it('equals the rollup of all the samples at once (averages and maxima)', () => {
		const xs = [5, 7, 9, 40, 2, 3].map((c, i) => sample(`2026-03-02T${10 + (i % 3)}:0${i}:00Z`, c));
		const byHour = [0, 1, 2].map((h) => rollupSamples(xs.filter((_, i) => i % 3 === h)));
		const whole = rollupSamples(xs);
		const combined = combineAggregates(byHour);
		expect(combined.cpuAvg).toBeCloseTo(whole.cpuAvg, 2);
		expect(combined.cpuMax).toBe(whole.cpuMax);
		expect(combined.samples).toBe(whole.samples);
	});
});

describe('UTC calendar buckets', () => {
	const t = Date.parse('2026-03-04T17:45:12Z'); // a Wednesday
	it('starts hours, days, ISO weeks (Monday) and months', () => {
		expect(new Date(hourStart(t)).toISOString()).toBe('2026-03-04T17:00:00.000Z');
		expect(new Date(dayStart(t)).toISOString()).toBe('2026-03-04T00:00:00.000Z');
		expect(new Date(weekStart(t)).toISOString()).toBe('2026-03-02T00:00:00.000Z');
		expect(new Date(weekStart(Date.parse('2026-03-08T23:59:59Z'))).toISOString()).toBe(
			'2026-03-02T00:00:00.000Z'
		);
		expect(new Date(weekStart(Date.parse('2026-03-09T00:00:00Z'))).toISOString()).toBe(
			'2026-03-09T00:00:00.000Z'
		);
		expect(new Date(monthStart(t)).toISOString()).toBe('2026-03-01T00:00:00.000Z');
	});
	it('ends months of different lengths', () => {
		expect(new Date(periodEnd('month', Date.parse('2026-02-01T00:00:00Z'))).toISOString()).toBe(
			'2026-03-01T00:00:00.000Z'
		);
		expect(new Date(periodEnd('month', Date.parse('2026-12-01T00:00:00Z'))).toISOString()).toBe(
			'2027-01-01T00:00:00.000Z'
		);
		expect(periodEnd('week', weekStart(t)) - weekStart(t)).toBe(7 * 86_400_000);
	});
});
