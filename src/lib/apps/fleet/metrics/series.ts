// A device's history (metrics.history) → the lines its charts draw. Pure, so it is tested without a browser.
import type { MetricsHistory, PeriodAverage } from '$lib/protocol/metrics';
import { formatBytes } from '../format';
import { PALETTE, type Series } from './chart';

const ratio = (used: number, total: number) => (total > 0 ? Math.round((used / total) * 1000) / 10 : null);

type Point = { x: number; y: number | null; note?: string };

/**
 * Breaks a line where data is missing (the agent was off): a point with no value wherever two neighbours are
 * more than three usual steps apart. The usual step is the median distance, so any sampling interval works.
 */
export function withGaps(points: Point[]): Point[] {
	if (points.length < 3) return points;
	const deltas = points
		.slice(1)
		.map((p, i) => p.x - points[i].x)
		.sort((a, b) => a - b);
	const step = deltas[Math.floor(deltas.length / 2)];
	const out: Point[] = [points[0]];
	for (let i = 1; i < points.length; i++) {
		if (points[i].x - points[i - 1].x > 3 * step) out.push({ x: points[i - 1].x + step, y: null });
		out.push(points[i]);
	}
	return out;
}

/** A period average as a flat step across its part of the chart. */
function steps(list: PeriodAverage[], from: number, to: number) {
	return list.flatMap((p) => [
		{ x: Math.max(p.from, from), y: p.cpu },
		{ x: Math.min(p.to, to) - 1, y: p.cpu }
	]);
}

export function cpuSeries(h: MetricsHistory, colors: { main: string; avg: string[] }): Series[] {
	const aggregated = h.resolution !== 'raw' || h.points.some((p) => p.samples > 1);
	const out: Series[] = [
		{
			label: aggregated ? 'CPU (average)' : 'CPU',
			color: colors.main,
			fill: true,
			points: withGaps(h.points.map((p) => ({ x: p.t, y: p.cpu })))
		}
	];
	if (aggregated)
		out.push({
			label: 'CPU (maximum)',
			color: colors.main,
			faint: true,
			points: withGaps(h.points.map((p) => ({ x: p.t, y: p.cpuMax })))
		});
	const avg: [keyof MetricsHistory['averages'], string][] = [
		['day', 'Daily average'],
		['week', 'Weekly average'],
		['month', 'Monthly average']
	];
	avg.forEach(([k, label], i) => {
		if (h.averages[k].length)
			out.push({ label, color: colors.avg[i], dashed: true, points: steps(h.averages[k], h.from, h.to) });
	});
	return out;
}

export function memorySeries(h: MetricsHistory, colors: { mem: string; swap: string }): Series[] {
	const out: Series[] = [
		{
			label: 'Memory used',
			color: colors.mem,
			fill: true,
			points: withGaps(
				h.points.map((p) => ({
					x: p.t,
					y: ratio(p.memUsed, p.memTotal),
					note: `${formatBytes(p.memUsed)} of ${formatBytes(p.memTotal)}`
				}))
			)
		}
	];
	if (h.points.some((p) => p.swapTotal > 0))
		out.push({
			label: 'Swap used',
			color: colors.swap,
			points: withGaps(
				h.points.map((p) => ({
					x: p.t,
					y: ratio(p.swapUsed, p.swapTotal),
					note: `${formatBytes(p.swapUsed)} of ${formatBytes(p.swapTotal)}`
				}))
			)
		});
	return out;
}

export function loadSeries(h: MetricsHistory, colors: string[]): Series[] {
	if (!h.points.some((p) => p.load1 !== null)) return [];
	return (
		[
			['load1', '1 minute'],
			['load5', '5 minutes'],
			['load15', '15 minutes']
		] as const
	).map(([k, label], i) => ({
		label,
		color: colors[i],
		points: withGaps(h.points.map((p) => ({ x: p.t, y: p[k] })))
	}));
}

export function diskSeries(h: MetricsHistory): Series[] {
	return h.filesystems.map((f, i) => ({
		label: `${f.mount} (${formatBytes(f.size)})`,
		color: PALETTE[i % PALETTE.length],
		points: withGaps(f.points.map(([x, y]) => ({ x, y })))
	}));
}
