// Search across the access logs a user may read: the trigram index on access_log_lines finds the blocks
// that can match, then each block is split into lines and every line tested, all inside PostgreSQL.
import type { Principal } from '../auth/permissions';
import type { Db } from '../db/client';
import { UserError } from '../errors';
import { readableDeviceIds } from './access';
import { likeContaining, toPostgresRegex } from './pattern';
import { rawTransaction } from './raw';

export interface SearchQuery {
	pattern: string;
	regex: boolean;
	ignoreCase: boolean;
	deviceIds?: number[];
	consoleIds?: number[];
	from?: Date;
	to?: Date;
	limit: number;
}

export interface SearchHit {
	deviceId: number | null;
	deviceName: string;
	consoleId: number;
	consoleName: string;
	/** The line's number in its console's log (from 1), for the line view. */
	line: number;
	/** When the line was completed, ISO. */
	at: string;
	text: string;
}

export interface SearchGroup {
	deviceId: number | null;
	deviceName: string;
	count: number;
	first: string;
	last: string;
}

export interface SearchResult {
	/** By device name, then time, then line. */
	hits: SearchHit[];
	groups: SearchGroup[];
	/** More lines matched than `limit`: the newest were kept. */
	truncated: boolean;
}

/** A runaway pattern is stopped after this long. */
const TIMEOUT_MS = 15_000;

interface Row {
	console_id: number;
	device_id: number | null;
	line: string | number;
	at: Date | string;
	text: string;
	console_name: string | null;
	device_name: string | null;
}

export async function searchAccessLogs(db: Db, user: Principal, q: SearchQuery): Promise<SearchResult> {
	const pattern = q.pattern;
	if (!pattern) throw new UserError('Type something to search for.');
	let devices = await readableDeviceIds(db, user);
	if (q.deviceIds?.length) devices = devices ? q.deviceIds.filter((d) => devices!.includes(d)) : q.deviceIds;
	if (devices && !devices.length) return { hits: [], groups: [], truncated: false };
	const op = q.regex ? (q.ignoreCase ? '~*' : '~') : q.ignoreCase ? 'ilike' : 'like';
	// (?n): newline-sensitive, so ^ $ and . work per line inside a block of lines.
	const value = q.regex ? `(?n)${toPostgresRegex(pattern)}` : likeContaining(pattern);
	const escape = q.regex ? '' : ` escape '\\'`;
	const rows = await rawTransaction(db, async (run) => {
		await run(`set local statement_timeout = ${TIMEOUT_MS}`);
		// A block of lines is stored out of line (TOAST), so the planner sees a small table and would rather scan
		// it than use the trigram index; but testing a pattern costs per byte, and the index is what scales.
		await run('set local enable_seqscan = off');
		try {
			return await run<Row>(
				`with hits as (
					select l.console_id, l.device_id, l.first_line + x.n - 1 as line, l.at, x.line as text
					from access_log_lines l
					cross join lateral regexp_split_to_table(l.text, E'\\n') with ordinality as x(line, n)
					where l.text ${op} $1${escape} and x.line ${op} $1${escape}
						and ($2::int[] is null or l.device_id = any($2::int[]))
						and ($3::int[] is null or l.console_id = any($3::int[]))
						and ($4::timestamptz is null or l.at >= $4) and ($5::timestamptz is null or l.at <= $5)
					order by l.at desc, l.console_id, line desc
					limit $6
				)
				select h.*, c.name as console_name, d.name as device_name from hits h
				left join consoles c on c.id = h.console_id left join devices d on d.id = h.device_id`,
				[
					value,
					devices,
					q.consoleIds?.length ? q.consoleIds : null,
					q.from ?? null,
					q.to ?? null,
					q.limit + 1
				]
			);
		} catch (e) {
			const err = e as Error & { code?: string };
			if (err.code === '57014')
				throw new UserError('The search took too long: make the pattern more specific.');
			if (err.code === '2201B')
				throw new UserError(
					`The pattern is not valid here: ${err.message.replace(/^invalid regular expression: /, '')}.`
				);
			throw e;
		}
	});
	const truncated = rows.length > q.limit;
	const hits: SearchHit[] = rows.slice(0, q.limit).map((r) => ({
		deviceId: r.device_id,
		deviceName: r.device_name ?? (r.device_id ? `device ${r.device_id}` : 'no device'),
		consoleId: r.console_id,
		consoleName: r.console_name ?? `console ${r.console_id} (deleted)`,
		line: Number(r.line),
		at: new Date(r.at).toISOString(),
		text: r.text
	}));
	hits.sort(
		(a, b) =>
			a.deviceName.localeCompare(b.deviceName) ||
			a.at.localeCompare(b.at) ||
			a.consoleId - b.consoleId ||
			a.line - b.line
	);
	const groups: SearchGroup[] = [];
	for (const h of hits) {
		const g = groups[groups.length - 1];
		if (g && g.deviceName === h.deviceName) {
			g.count++;
			g.last = h.at;
		} else groups.push({ deviceId: h.deviceId, deviceName: h.deviceName, count: 1, first: h.at, last: h.at });
	}
	return { hits, groups, truncated };
}
