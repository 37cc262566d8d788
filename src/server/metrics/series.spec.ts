import { describe, expect, it } from 'vitest';
import {
	averagesFrom,
	filesystemSeries,
	MAX_POINTS,
	periodAverages,
	rangeSpec,
	rawBucketMs,
	rawBuckets,
	thin,
	toPoint
} from './series';
import { rollupSamples, type RawSample } from './rollup';
import { idleCsv } from './idle-csv';
import { sortIdle } from './queries';
import type { IdleDevice } from '../../lib/protocol/metrics';

const now = Date.parse('2026-03-18T12:34:56Z');

const raw = (t: number, cpu: number, mounts: [string, number, number][] = []): RawSample => ({
	at: new Date(t),
	cpu,
	memTotal: 100,
	memUsed: 50,
	swapTotal: 0,
	swapUsed: 0,
	load1: null,
	load5: null,
	load15: null,
	filesystems: mounts.map(([mount, size, usedPct]) => ({ mount, size, used: 0, usedPct }))
});

describe('series selection', () => {
	it('reads raw samples for a day, hourly aggregates for a week or month, daily ones for a year', () => {
		expect(rangeSpec('day', now)).toEqual({ from: now - 86_400_000, to: now, resolution: 'raw' });
		expect(rangeSpec('week', now)).toMatchObject({ resolution: 'hour' });
		expect(new Date(rangeSpec('week', now).from).toISOString()).toBe('2026-03-11T12:00:00.000Z');
		expect(new Date(rangeSpec('month', now).from).toISOString()).toBe('2026-02-16T12:00:00.000Z');
		expect(rangeSpec('year', now)).toMatchObject({ resolution: 'day' });
		expect(new Date(rangeSpec('year', now).from).toISOString()).toBe('2025-03-18T00:00:00.000Z');
	});

	it('averages raw samples per minute (or wider) so a day never exceeds the chart’s points', () => {
		expect(rawBucketMs(now - 86_400_000, now)).toBe(60_000);
		expect(rawBucketMs(now - 2 * 86_400_000, now)).toBe(120_000);
		// a day sampled every 5 s: 17,280 samples → 1,440 one-minute points
		const from = now - 86_400_000;
		const samples = Array.from({ length: 17_280 }, (_, i) => raw(from + i * 5_000, i % 12 === 0 ? 60 : 0));
		const buckets = rawBuckets(samples, rawBucketMs(from, now));
		expect(buckets.length).toBeLessThanOrEqual(MAX_POINTS + 1);
		expect(buckets[1].agg.samples).toBe(12);
		expect(buckets[1].agg.cpuAvg).toBe(5);
		expect(buckets[1].agg.cpuMax).toBe(60);
	});

	it('thins too many buckets by merging runs, keeping the maxima', () => {
		const buckets = Array.from({ length: 3000 }, (_, i) => ({
			t: i * 60_000,
			agg: rollupSamples([raw(i * 60_000, i === 1500 ? 99 : 1)])
		}));
		const thinned = thin(buckets, 1000);
		expect(thinned.length).toBe(1000);
		expect(thinned[500].agg.cpuMax).toBe(99);
		expect(thinned[500].agg.samples).toBe(3);
		expect(thin(buckets.slice(0, 10), 1000)).toHaveLength(10);
	});

	it('makes one series per filesystem, with its latest size', () => {
		const buckets = [
			{ t: 1, agg: rollupSamples([raw(1, 0, [['/', 10, 50]])]) },
			{
				t: 2,
				agg: rollupSamples([
					raw(2, 0, [
						['/', 20, 60],
						['/data', 100, 5]
					])
				])
			}
		];
		expect(filesystemSeries(buckets)).toEqual([
			{
				mount: '/',
				size: 20,
				points: [
					[1, 50],
					[2, 60]
				]
			},
			{ mount: '/data', size: 100, points: [[2, 5]] }
		]);
		expect(toPoint(buckets[0])).toMatchObject({ t: 1, cpu: 0, memUsed: 50, memTotal: 100, load1: null });
	});
});

describe('daily, weekly and monthly CPU averages', () => {
	const day = (iso: string, cpuAvg: number, samples = 1440) => ({ t: Date.parse(iso), cpuAvg, samples });
	const daily = [
		day('2026-02-27T00:00:00Z', 80), // Friday of the week before, in February
		day('2026-03-02T00:00:00Z', 10), // Monday
		day('2026-03-03T00:00:00Z', 20, 720), // a half day of samples
		day('2026-03-09T00:00:00Z', 40) // next Monday
	];

	it('start with the week or month the range starts in', () => {
		expect(new Date(averagesFrom(Date.parse('2026-03-04T10:00:00Z'))).toISOString()).toBe(
			'2026-03-01T00:00:00.000Z'
		);
		expect(new Date(averagesFrom(Date.parse('2026-03-01T10:00:00Z'))).toISOString()).toBe(
			'2026-02-23T00:00:00.000Z'
		);
	});

	it('weights each day by its samples and leaves out periods outside the range', () => {
		const from = Date.parse('2026-03-02T00:00:00Z');
		const to = Date.parse('2026-03-10T00:00:00Z');
		const weeks = periodAverages(daily, 'week', from, to);
		expect(weeks.map((w) => new Date(w.from).toISOString().slice(0, 10))).toEqual([
			'2026-03-02',
			'2026-03-09'
		]);
		expect(weeks[0].cpu).toBeCloseTo((10 * 1440 + 20 * 720) / 2160, 2);
		expect(weeks[0].samples).toBe(2160);
		expect(weeks[1].cpu).toBe(40);
		const months = periodAverages(daily, 'month', from, to);
		expect(months).toHaveLength(1);
		expect(new Date(months[0].to).toISOString()).toBe('2026-04-01T00:00:00.000Z');
		expect(periodAverages(daily, 'day', from, to).map((d) => d.cpu)).toEqual([10, 20, 40]);
		// the February week overlaps a range that starts on Sunday 1 March
		expect(periodAverages(daily, 'week', Date.parse('2026-03-01T00:00:00Z'), to)[0].cpu).toBe(80);
	});
});

describe('idle-servers report', () => {
	const rows: IdleDevice[] = [
		{
			deviceId: 1,
			name: 'web-2',
			avgCpu: 1.5,
			maxCpu: 9,
			samples: 10,
			dataSince: '2026-03-01T00:00:00.000Z',
			lastSeenAt: null
		},
		{
			deviceId: 2,
			name: 'db "main", eu',
			avgCpu: 0.25,
			maxCpu: 3,
			samples: 20,
			dataSince: '2026-03-02T00:00:00.000Z',
			lastSeenAt: '2026-03-18T12:00:00.000Z'
		},
		{
			deviceId: 3,
			name: 'web-1',
			avgCpu: 1.5,
			maxCpu: 2,
			samples: 5,
			dataSince: '2026-03-01T00:00:00.000Z',
			lastSeenAt: '2026-03-17T12:00:00.000Z'
		}
	];

	it('sorts by a column then by name; missing last-seen goes last both ways', () => {
		expect(sortIdle(rows, 'avgCpu', 'asc').map((r) => r.deviceId)).toEqual([2, 3, 1]);
		expect(sortIdle(rows, 'avgCpu', 'desc').map((r) => r.deviceId)).toEqual([3, 1, 2]);
		expect(sortIdle(rows, 'lastSeenAt', 'desc').map((r) => r.deviceId)).toEqual([2, 3, 1]);
		expect(sortIdle(rows, 'lastSeenAt', 'asc').map((r) => r.deviceId)).toEqual([3, 2, 1]);
		expect(sortIdle(rows, 'name', 'asc').map((r) => r.name)).toEqual(['db "main", eu', 'web-1', 'web-2']);
	});

	it('is RFC 4180 CSV: CRLF line ends, quotes doubled inside quoted fields', () => {
		const csv = idleCsv(sortIdle(rows, 'avgCpu', 'asc'));
		const lines = csv.split('\r\n');
		expect(lines[0]).toBe('Device,Average CPU %,Maximum CPU %,Samples,Data since (UTC),Last seen (UTC)');
		expect(lines[1]).toBe('"db ""main"", eu",0.25,3.00,20,2026-03-02T00:00:00.000Z,2026-03-18T12:00:00.000Z');
		expect(lines[3]).toBe('web-2,1.50,9.00,10,2026-03-01T00:00:00.000Z,');
		expect(lines[4]).toBe('');
		expect(csv.endsWith('\r\n')).toBe(true);
	});
});
