/** Dates as every app shows them: "23 Nov 2026, 14:05" and "5 minutes ago". */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function toDate(v: string | Date | null | undefined): Date | null {
	if (v === null || v === undefined || v === '') return null;
	const d = new Date(v);
	return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(v: string | Date | null | undefined, seconds = false): string {
	const d = toDate(v);
	if (!d) return '—';
	return (seconds ? dateTimeSeconds : dateTime).format(d);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 86_400_000],
	['month', 30 * 86_400_000],
	['day', 86_400_000],
	['hour', 3_600_000],
	['minute', 60_000]
];

/** "5 minutes ago", "just now". */
export function timeAgo(v: string | Date | null | undefined, now = Date.now()): string {
	const d = toDate(v);
	if (!d) return '—';
	const diff = d.getTime() - now;
	if (Math.abs(diff) < 60_000) return 'just now';
	const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
	for (const [unit, ms] of UNITS) {
		if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
	}
	return 'just now';
}
