// A console's output as numbered text lines, for the log viewer: a window of lines from a line number or from
// a time, and the unfinished last line (a prompt waiting for input).
import type { Db } from '../db/client';
import { rawQuery } from './raw';
import { bytesToText } from './text';

export interface LogLine {
	n: number;
	at: string;
	text: string;
}

export interface LinesWindow {
	lines: LogLine[];
	/** Lines in the log so far (the last line's number). */
	total: number;
	/**
	 * The first line still stored: retention purges old lines without renumbering, so lines before this one
	 * are gone (1 when nothing was purged; total + 1 when every line was).
	 */
	firstLine: number;
	/** Output after the last newline, if any: not a line yet. */
	pending: { at: string | null; text: string } | null;
}

type Num = string | number;

/** Up to `count` lines from line `fromLine` (1-based), or from the first line completed at or after `at`. */
export async function readLines(
	db: Db,
	q: { consoleId: number; fromLine?: number; at?: Date; count: number }
): Promise<LinesWindow> {
	// The line state and where the stored lines start, in one round trip (a console may have no state yet).
	const [st] = await rawQuery<{
		line_count: Num | null;
		partial: Uint8Array | null;
		partial_at: Date | null;
		first: Num | null;
	}>(
		db,
		`select s.line_count, s.partial, s.partial_at,
			(select min(first_line) from access_log_lines where console_id = $1) as first
		from (select 1) one left join access_log_line_state s on s.console_id = $1`,
		[q.consoleId]
	);
	const total = Number(st?.line_count ?? 0);
	const firstLine = st?.first == null ? total + 1 : Number(st.first);
	let from = Math.max(1, q.fromLine ?? 1);
	if (q.at) {
		const [b] = await rawQuery<{ first_line: Num }>(
			db,
			'select first_line from access_log_lines where console_id = $1 and at >= $2 order by at, first_line limit 1',
			[q.consoleId, q.at]
		);
		from = b ? Number(b.first_line) : total + 1;
	}
	const end = from + q.count - 1;
	const blocks = await rawQuery<{ first_line: Num; line_count: number; at: Date | string; text: string }>(
		db,
		`select first_line, line_count, at, text from access_log_lines
		where console_id = $1 and first_line <= $3 and first_line >= coalesce(
			(select max(first_line) from access_log_lines where console_id = $1 and first_line <= $2), 1)
		order by first_line`,
		[q.consoleId, from, end]
	);
	const lines: LogLine[] = [];
	for (const b of blocks) {
		const first = Number(b.first_line);
		const at = new Date(b.at).toISOString();
		b.text.split('\n').forEach((text, i) => {
			const n = first + i;
			if (n >= from && n <= end) lines.push({ n, at, text });
		});
	}
	const pending = st?.partial?.byteLength
		? {
				at: st.partial_at ? new Date(st.partial_at).toISOString() : null,
				text: bytesToText(Buffer.concat([st.partial, Buffer.of(0x0a)])).text
			}
		: null;
	return { lines, total, firstLine: Math.min(firstLine, total + 1), pending };
}
