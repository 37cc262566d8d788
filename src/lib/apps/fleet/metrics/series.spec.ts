import { describe, expect, it } from 'vitest';
import type { MetricsHistory, MetricsPoint } from '$lib/protocol/metrics';
import { cpuSeries, diskSeries, loadSeries, memorySeries, withGaps } from './series';
import { timeTicks } from './chart';

const GiB = 1024 ** 3;
const point = (t: number, cpu: number, over: Partial<MetricsPoint> = {}): MetricsPoint => ({
	t,
	samples: 1,
	cpu,
	cpuMax: cpu,
	memTotal: 8 * GiB,
	memUsed: 2 * GiB,
	memUsedMax: 2 * GiB,
	swapTotal: 0,
	swapUsed: 0,
	swapUsedMax: 0,
	load1: null,
	load5: null,
	load15: null,
	...over
});

function history(over: Partial<MetricsHistory>): MetricsHistory {
	return {
		deviceId: 1,
		range: 'day',
		resolution: 'raw',
		from: 0,
		to: 10 * 60_000,
		points: [],
		filesystems: [],
		averages: { day: [], week: [], month: [] },
		...over
	};
}
const colors = { main: '#000', avg: ['#111', '#222', '#333'] };

describe('chart lines', () => {
	it('break where samples are missing, whatever the interval', () => {
		const pts = [0, 1, 2, 3, 10, 11].map((m) => ({ x: m * 60_000, y: 1 }));
		expect(withGaps(pts).map((p) => [p.x / 60_000, p.y])).toEqual([
			[0, 1],
			[1, 1],
			[2, 1],
			[3, 1],
			[4, null],
			[10, 1],
			[11, 1]
		]);
		const hourly = [0, 1, 2].map((h) => ({ x: h * 3_600_000, y: 1 }));
		expect(withGaps(hourly)).toEqual(hourly);
	});

	it('CPU: raw samples alone; aggregates with their maximum; averages as steps within the range', () => {
		const raw = cpuSeries(history({ points: [point(0, 5), point(60_000, 7)] }), colors);
		expect(raw.map((s) => s.label)).toEqual(['CPU']);
		const agg = cpuSeries(
			history({
				resolution: 'hour',
				from: 1000,
				to: 5000,
				points: [point(1000, 5, { cpuMax: 9, samples: 60 })],
				averages: { day: [{ from: 0, to: 86_400_000, cpu: 4, samples: 60 }], week: [], month: [] }
			}),
			colors
		);
		expect(agg.map((s) => s.label)).toEqual(['CPU (average)', 'CPU (maximum)', 'Daily average']);
		expect(agg[1].points).toEqual([{ x: 1000, y: 9 }]);
		expect(agg[2].points).toEqual([
			{ x: 1000, y: 4 },
			{ x: 4999, y: 4 }
		]);
	});

	it('memory and swap as percent of their totals, with the bytes in the tooltip; swap only if any', () => {
		const [mem, ...rest] = memorySeries(history({ points: [point(0, 1)] }), { mem: '#0', swap: '#1' });
		expect(mem.points[0]).toEqual({ x: 0, y: 25, note: '2.0 GiB of 8.0 GiB' });
		expect(rest).toEqual([]);
		const both = memorySeries(history({ points: [point(0, 1, { swapTotal: GiB, swapUsed: GiB / 2 })] }), {
			mem: '#0',
			swap: '#1'
		});
		expect(both[1].points[0].y).toBe(50);
	});

	it('load only where the host has it; one line per filesystem', () => {
		expect(loadSeries(history({ points: [point(0, 1)] }), ['a', 'b', 'c'])).toEqual([]);
		expect(
			loadSeries(history({ points: [point(0, 1, { load1: 1, load5: 2, load15: 3 })] }), ['a', 'b', 'c']).map(
				(s) => s.points[0].y
			)
		).toEqual([1, 2, 3]);
		const disks = diskSeries(
			history({
				filesystems: [
					{ mount: '/', size: 10 * GiB, points: [[0, 50]] },
					{ mount: '/var', size: GiB, points: [[0, 5]] }
				]
			})
		);
		expect(disks.map((d) => d.label)).toEqual(['/ (10 GiB)', '/var (1.0 GiB)']);
	});
});

describe('time axis ticks', () => {
	const from = new Date(2026, 2, 17, 12, 34).getTime();
	it('fall on round hours for a day and on midnights for a week, never more than 8', () => {
		const day = timeTicks(from, from + 86_400_000);
		expect(day.length).toBeGreaterThan(4);
		expect(day.length).toBeLessThanOrEqual(8);
		for (const t of day) {
			const d = new Date(t);
			expect([d.getMinutes(), d.getHours() % 3]).toEqual([0, 0]);
			expect(t).toBeGreaterThanOrEqual(from);
		}
		const week = timeTicks(from, from + 7 * 86_400_000);
		expect(week.length).toBe(7);
		for (const t of week) expect(new Date(t).getHours()).toBe(0);
	});
	it('fall on the first of months for a year', () => {
		const year = timeTicks(from, from + 365 * 86_400_000);
		expect(year.length).toBeLessThanOrEqual(8);
		expect(year.length).toBeGreaterThan(3);
		for (const t of year) expect(new Date(t).getDate()).toBe(1);
	});
});
