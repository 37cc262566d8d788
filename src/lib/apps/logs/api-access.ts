// Console access logs as a line source: the server keeps them as numbered text lines (ANSI stripped), so they
// read like a file. The server has no filter with context for one access log, so the browser filters pages
// of lines itself with the same regex rules the agents use.
import type { LogFilterInput, LogFilterResult, LogLine, LogReadResult } from '$protocol/logs';
import type { LineReader, Unbatched } from './api';
import { lineFilter } from './filter';

const SCAN_PAGE = 5000;
const FOLLOW_POLL_MS = 1500;

interface AccessLine {
	n: number;
	text: string;
	at: string;
}

function toLine(l: AccessLine): LogLine {
	return { n: l.n, offset: null, text: l.text, time: l.at };
}

/** Access logs are counted as they are written: always complete. Their size in bytes is not known here. */
function state(total: number) {
	return { size: 0, mtime: null, indexedBytes: 0, lines: total, complete: true };
}

const cursorAfter = (last: number) => ({ offset: last, line: last + 1 });

/** What a line that retention purged shows: lines keep their numbers, so the gap is shown, not closed. */
export const PURGED_TEXT = '(purged by access-log retention)';

/**
 * Lines `from`…`to` that retention purged (before `firstLine`), as placeholders with their numbers, so the
 * viewer's rows stay in place; none when nothing before `firstLine` was asked for.
 */
export function purgedLines(from: number, to: number, firstLine: number): LogLine[] {
	const out: LogLine[] = [];
	for (let n = Math.max(1, from); n <= Math.min(to, firstLine - 1); n++)
		out.push({ n, offset: null, text: PURGED_TEXT });
	return out;
}

export function accessReader(consoleId: number, client: Unbatched): LineReader {
	const lines = (q: { fromLine?: number; at?: string; count: number }, signal?: AbortSignal) =>
		client.accessLogs.lines.query(
			{ consoleId, ...q, fromLine: q.fromLine === undefined ? undefined : Math.max(1, q.fromLine) },
			{ signal }
		);

	return {
		async read(from, count, before, signal): Promise<LogReadResult> {
			let start: number;
			if ('line' in from) start = from.line - before;
			else if ('end' in from) start = (await lines({ fromLine: 1, count: 1 }, signal)).total - count + 1;
			else if ('time' in from) {
				const first = (await lines({ at: from.time, count: 1 }, signal)).lines[0];
				start = (first?.n ?? Number.MAX_SAFE_INTEGER) - before;
			} else start = 1;
			const want = Math.min(5000, count + before + Math.min(0, start - 1));
			const r = await lines({ fromLine: start, count: want }, signal);
			const gap = purgedLines(start, start + want - 1, r.firstLine);
			const got = [...gap, ...r.lines.map(toLine)];
			const last = got.at(-1)?.n ?? Math.max(0, start - 1);
			return {
				lines: got,
				index: state(r.total),
				atEnd: last >= r.total,
				next: cursorAfter(last)
			};
		},

		async follow(after, max, waitMs, signal) {
			let from = 'line' in after && after.line ? after.line : 1;
			const deadline = Date.now() + waitMs;
			for (;;) {
				const r = await lines({ fromLine: from, count: Math.min(5000, max) }, signal);
				// Lines purged meanwhile are not waited for.
				from = Math.max(from, r.firstLine);
				if (r.lines.length || Date.now() >= deadline || signal?.aborted) {
					const last = r.lines.at(-1)?.n ?? from - 1;
					return {
						lines: r.lines.map(toLine),
						next: cursorAfter(last),
						rotated: false,
						more: last < r.total,
						index: state(r.total)
					};
				}
				await new Promise((res) => setTimeout(res, FOLLOW_POLL_MS));
			}
		},

		async filter(filter: LogFilterInput, from, _limit, signal): Promise<LogFilterResult> {
			const match = lineFilter(filter);
			let start = from && 'line' in from && from.line ? from.line : 1;
			const before = filter.before ?? 0;
			let r = await lines({ fromLine: start - before, count: SCAN_PAGE }, signal);
			// Purged lines have no text to match: the scan starts at the first line still stored.
			if (start < r.firstLine) {
				start = r.firstLine;
				r = await lines({ fromLine: start, count: SCAN_PAGE }, signal);
			}
			const page = r.lines.map(toLine);
			const last = page.at(-1)?.n ?? start - 1;
			const atEnd = last >= r.total;
			// The last lines' after-context is in the next page: they are scanned again from there.
			const scanned = atEnd ? last : Math.max(start, last - (filter.after ?? 0));
			// A page is bounded by its lines, not by `limit`: stopping at a hit count would skip the hits after it.
			const rows = match.rows(page, start, Infinity, atEnd);
			return {
				rows,
				hits: rows.filter((x) => x.hit).length,
				scannedTo: scanned,
				done: atEnd,
				next: cursorAfter(scanned),
				index: state(r.total)
			};
		}
	};
}

/** A console whose access log may be read, as the source picker lists it. */
export interface AccessLogConsole {
	id: number;
	name: string;
	deviceId: number;
	deviceName: string;
	canReadLogs?: boolean;
}

/** Consoles whose access logs this user may read (logs.read on the console's device). */
export async function listAccessLogs(client: Unbatched): Promise<AccessLogConsole[]> {
	const list = await client.consoles.list.query({ limit: 2000 });
	return list.filter((c) => (c as AccessLogConsole).canReadLogs !== false);
}
