// Chart.js, registered piece by piece (only what line charts need, so the bundle stays small), and the
// helpers the resource charts share: time ticks, colours from the theme.
import {
	Chart,
	Filler,
	Legend,
	LinearScale,
	LineController,
	LineElement,
	PointElement,
	Tooltip
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend);

export { Chart };

/** A line of a chart: plain {x, y} points (x in ms since the epoch); `note` is shown in the tooltip. */
export interface Series {
	label: string;
	color: string;
	points: { x: number; y: number | null; note?: string }[];
	/** Averages are drawn as dashed steps. */
	dashed?: boolean;
	/** A lighter line (maxima). */
	faint?: boolean;
	fill?: boolean;
}

/** Distinct colours for lines that have no meaning of their own (filesystems). */
export const PALETTE = [
	'#2563eb',
	'#16a34a',
	'#d97706',
	'#9333ea',
	'#dc2626',
	'#0891b2',
	'#db2777',
	'#65a30d',
	'#7c3aed',
	'#ea580c'
];

/** A theme colour (CSS custom property) as the element sees it, for canvas drawing. */
export function themeColor(el: Element, name: string, fallback: string): string {
	return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

const hourFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric' });
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const HOUR = 3_600_000;
const STEPS = [
	HOUR,
	2 * HOUR,
	3 * HOUR,
	6 * HOUR,
	12 * HOUR,
	24 * HOUR,
	48 * HOUR,
	7 * 24 * HOUR,
	14 * 24 * HOUR
];

/**
 * Tick positions on round local times (whole hours, midnights, first days of months), at most `max` of them:
 * Chart.js's linear scale would put them at round numbers of milliseconds, i.e. at odd times of day.
 */
export function timeTicks(from: number, to: number, max = 8): number[] {
	const span = to - from;
	const step = STEPS.find((s) => span / s <= max);
	const out: number[] = [];
	if (step) {
		const d = new Date(from);
		if (step >= 24 * HOUR) d.setHours(0, 0, 0, 0);
		else d.setMinutes(0, 0, 0);
		for (let t = d.getTime(); t <= to;) {
			const local = new Date(t);
			// Steps under a day: hours divisible by the step; a day or more: midnights (DST-proof via setDate).
			if (t >= from && (step >= 24 * HOUR || local.getHours() % (step / HOUR) === 0)) out.push(t);
			if (step >= 24 * HOUR) {
				local.setDate(local.getDate() + step / (24 * HOUR));
				t = local.getTime();
			} else t += HOUR;
		}
		return out;
	}
	// Longer spans: the first of every month or every few months.
	const months = Math.ceil(span / (30 * 24 * HOUR) / max);
	const d = new Date(from);
	d.setDate(1);
	d.setHours(0, 0, 0, 0);
	for (; d.getTime() <= to; d.setMonth(d.getMonth() + months)) if (d.getTime() >= from) out.push(d.getTime());
	return out;
}

/** Tick labels that fit the span: times of day for a day, dates for a month, months for a year. */
export function tickLabel(t: number, spanMs: number): string {
	if (spanMs <= 2 * 86_400_000) return hourFmt.format(t);
	if (spanMs <= 120 * 86_400_000) return dayFmt.format(t);
	return monthFmt.format(t);
}

export function tooltipTime(t: number): string {
	return fullFmt.format(t);
}

/** Percent with one decimal; on an axis, whole numbers. */
export const pct = (n: number) => `${n.toFixed(1)} %`;
export const pctTick = (n: number) => `${Math.round(n)} %`;
