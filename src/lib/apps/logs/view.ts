// Where a Logs window is, saved in its props so a reload (or another browser) comes back to it. Props also
// arrive from desktop links (`/?app=logs&bookmark=12`, `/?app=logs&device=3&path=…&offset=5120&event=9`),
// where every value is a string.
import { parseSource, positiveInt, sourceProps, type ViewSource } from './source';

export const TABS = ['viewer', 'search', 'bookmarks', 'events', 'rules', 'watch', 'forwarders'] as const;
export type LogsTab = (typeof TABS)[number];

export const MAX_FILTERS = 8;
export const MAX_CONTEXT = 50;

export interface Filters {
	include: string[];
	exclude: string[];
	caseSensitive: boolean;
	/** Lines shown before and after each hit. */
	context: number;
}

/** Where to open a source: a line, a byte offset (a pattern event), a time, or a journal cursor. */
export type Goto = { line: number } | { offset: number } | { time: string } | { cursor: string };

export interface LogsView {
	tab: LogsTab;
	source: ViewSource | null;
	goto: Goto | null;
	filters: Filters;
	wrap: boolean;
	/** What the source is called where its id says little (a console's name for its access log). */
	label: string | null;
	/** A bookmark or event named by a link, still to be resolved to its source and line. */
	bookmark: number | null;
	event: number | null;
}

export const NO_FILTERS: Filters = { include: [], exclude: [], caseSensitive: false, context: 0 };

function int(v: unknown, min: number, max: number): number | null {
	const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
	return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

function patterns(v: unknown): string[] {
	const list: unknown[] = typeof v === 'string' ? [v] : Array.isArray(v) ? v : [];
	return list
		.filter((p): p is string => typeof p === 'string' && p.length > 0 && p.length <= 1000)
		.slice(0, MAX_FILTERS);
}

function bool(v: unknown): boolean {
	return v === true || v === 'true' || v === '1' || v === 1;
}

export function parseFilters(p: Record<string, unknown>): Filters {
	return {
		include: patterns(p.include),
		exclude: patterns(p.exclude),
		caseSensitive: bool(p.case),
		context: int(p.context, 0, MAX_CONTEXT) ?? 0
	};
}

function parseGoto(p: Record<string, unknown>): Goto | null {
	const line = positiveInt(p.line);
	if (line) return { line };
	const offset = int(p.offset, 0, Number.MAX_SAFE_INTEGER);
	if (offset !== null) return { offset };
	if (typeof p.cursor === 'string' && p.cursor.length > 0 && p.cursor.length <= 1000)
		return { cursor: p.cursor };
	if (typeof p.at === 'string' && !Number.isNaN(Date.parse(p.at)))
		return { time: new Date(p.at).toISOString() };
	return null;
}

/** The view saved in a window's props; anything unknown or damaged falls back to the source picker. */
export function parseView(p: Record<string, unknown>): LogsView {
	return {
		tab: TABS.includes(p.tab as LogsTab) ? (p.tab as LogsTab) : 'viewer',
		source: parseSource(p),
		goto: parseGoto(p),
		filters: parseFilters(p),
		wrap: bool(p.wrap),
		label: typeof p.label === 'string' && p.label.length <= 200 ? p.label : null,
		bookmark: positiveInt(p.bookmark),
		event: positiveInt(p.event)
	};
}

function gotoProps(g: Goto | null): Record<string, string | number | null> {
	return {
		line: g && 'line' in g ? g.line : null,
		offset: g && 'offset' in g ? g.offset : null,
		at: g && 'time' in g ? g.time : null,
		cursor: g && 'cursor' in g ? g.cursor : null
	};
}

/** Every key is written: the desktop merges props into the old ones, and a stale value must not survive. */
export function viewProps(v: LogsView): Record<string, unknown> {
	return {
		tab: v.tab,
		...sourceProps(v.source),
		...gotoProps(v.goto),
		include: v.filters.include,
		exclude: v.filters.exclude,
		case: v.filters.caseSensitive,
		context: v.filters.context,
		wrap: v.wrap,
		label: v.label,
		bookmark: v.bookmark,
		event: v.event
	};
}

/** Link parameters that open `source` at `goto` (what "Copy link" gives for a line without a bookmark). */
export function linkProps(source: ViewSource, goto: Goto | null): Record<string, string | number> {
	const out: Record<string, string | number> = {};
	for (const [k, v] of Object.entries({ ...sourceProps(source), ...gotoProps(goto) }))
		if (v !== null) out[k] = v;
	return out;
}
