// The filter as the agents run it (every include pattern matches, no exclude pattern does), for the sources
// the browser filters itself (access logs) and for checking patterns as they are typed.
import { checkRegex, type LogFilterInput, type LogFilterRow, type LogLine } from '$protocol/logs';
import type { Filters } from './view';

export interface PatternProblem {
	message: string;
	/** 0-based index in the pattern the caret points at. */
	position: number;
}

/** Why a pattern cannot be used, with where; null when it is fine. */
export function patternProblem(pattern: string, caseSensitive: boolean): PatternProblem | null {
	const c = checkRegex(pattern, caseSensitive ? '' : 'i');
	return c.ok ? null : { message: c.message, position: c.position };
}

/** The filter the server takes, from what the filter bar holds. */
export function toLogFilter(f: Filters): LogFilterInput {
	return {
		include: f.include,
		exclude: f.exclude,
		ignoreCase: !f.caseSensitive,
		before: f.context,
		after: f.context
	};
}

export function isFiltering(f: Filters): boolean {
	return f.include.length > 0 || f.exclude.length > 0;
}

/** A stable key for a filter: the filtered view starts again when it changes. */
export function filterKey(f: Filters): string {
	return JSON.stringify([f.include, f.exclude, f.caseSensitive, f.context]);
}

export function lineFilter(f: LogFilterInput) {
	const flags = f.ignoreCase === false ? '' : 'i';
	const inc = (f.include ?? []).map((p) => new RegExp(p, flags));
	const exc = (f.exclude ?? []).map((p) => new RegExp(p, flags));
	const before = f.before ?? 0;
	const after = f.after ?? 0;
	const test = (text: string) => inc.every((re) => re.test(text)) && !exc.some((re) => re.test(text));
	return {
		test,
		/**
		 * Hits among `lines` whose number is at least `start`, with their context from `lines`. The last
		 * `after` lines are left for the next call (their context is not here yet) unless `atEnd`.
		 */
		rows(lines: LogLine[], start: number, limit: number, atEnd = false): LogFilterRow[] {
			const last = lines.length - (atEnd ? 0 : after);
			const keep = new Map<number, boolean>();
			let hits = 0;
			for (let i = 0; i < last && hits < limit; i++) {
				const n = lines[i].n ?? 0;
				if (n < start || !test(lines[i].text)) continue;
				hits++;
				for (let k = Math.max(0, i - before); k <= Math.min(lines.length - 1, i + after); k++)
					if (!keep.get(k)) keep.set(k, k === i);
				keep.set(i, true);
			}
			return [...keep.keys()].sort((a, b) => a - b).map((k) => ({ ...lines[k], hit: keep.get(k)! }));
		}
	};
}
