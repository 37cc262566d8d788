// Reading a console's log for the replay player: its span and sessions, who typed, the room events, and the
// records page by page (by seq, or from a time).
import type { Db } from '../db/client';
import type { AccessLogKind } from '../db/schema/accesslog';
import type { LogConsole } from './access';
import { rawQuery } from './raw';

export interface ReplayRecord {
	seq: number;
	at: string;
	kind: AccessLogKind;
	userId: number | null;
	username: string | null;
	/** The bytes, base64. */
	data: string;
}

export interface RecordsPage {
	records: ReplayRecord[];
	/** There are records after the last one returned (within `to`). */
	more: boolean;
}

/** A page stops at this many bytes of data even before `limit` records. */
const PAGE_BYTES = 4 * 1024 * 1024;
const STEP = 250;

type Num = string | number;
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The first record at or after `at` (the last record when none is), 0 for an empty log. */
export async function seqAt(db: Db, consoleId: number, at: Date): Promise<number> {
	const [r] = await rawQuery<{ seq: Num }>(
		db,
		`select seq from access_log_records where console_id = $1 and at >= $2 order by at, seq limit 1`,
		[consoleId, at]
	);
	if (r) return Number(r.seq);
	const [last] = await rawQuery<{ seq: Num | null }>(
		db,
		'select max(seq) as seq from access_log_records where console_id = $1',
		[consoleId]
	);
	return Number(last?.seq ?? 0);
}

export async function readRecords(
	db: Db,
	q: { consoleId: number; afterSeq?: number; from?: Date; to?: Date; kinds?: AccessLogKind[]; limit: number }
): Promise<RecordsPage> {
	let after = q.afterSeq ?? 0;
	if (!after && q.from) after = Math.max(0, (await seqAt(db, q.consoleId, q.from)) - 1);
	const records: ReplayRecord[] = [];
	let bytes = 0;
	const kinds = q.kinds?.length ? q.kinds : ['output', 'input', 'event'];
	for (;;) {
		const want = Math.min(STEP, q.limit - records.length + 1);
		const rows = await rawQuery<{
			seq: Num;
			at: Date | string;
			kind: AccessLogKind;
			user_id: number | null;
			username: string | null;
			data: Uint8Array;
		}>(
			db,
			`select seq, at, kind, user_id, username, data from access_log_records
			where console_id = $1 and seq > $2 and kind = any($3::text[]) and ($4::timestamptz is null or at <= $4)
			order by seq limit ${want}`,
			[q.consoleId, after, kinds, q.to ?? null]
		);
		for (const r of rows) {
			if (records.length >= q.limit || (records.length && bytes + r.data.byteLength > PAGE_BYTES))
				return { records, more: true };
			records.push({
				seq: Number(r.seq),
				at: iso(r.at)!,
				kind: r.kind,
				userId: r.user_id,
				username: r.username,
				data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64')
			});
			bytes += r.data.byteLength;
			after = Number(r.seq);
		}
		if (rows.length < want) return { records, more: false };
	}
}

export interface LogSpan extends LogConsole {
	firstSeq: number;
	lastSeq: number;
	firstAt: string | null;
	lastAt: string | null;
	/** One per pipe the console had (each time the server opened it). */
	sessions: {
		pipeId: string | null;
		firstSeq: number;
		lastSeq: number;
		from: string;
		to: string;
		bytes: number;
	}[];
	/** Who typed, with how many inputs. */
	users: {
		userId: number | null;
		username: string;
		inputs: number;
		bytes: number;
		firstAt: string;
		lastAt: string;
	}[];
	/** Room events (joins, control, breaks, pipe states), the latest 2000. */
	events: { seq: number; at: string; username: string | null; event: unknown }[];
}

export async function logSpan(db: Db, c: LogConsole): Promise<LogSpan> {
	const id = c.consoleId;
	const [head] = await rawQuery<{ first_seq: Num; last_seq: Num; last_at: Date | string | null }>(
		db,
		'select first_seq, last_seq, last_at from access_log_heads where console_id = $1',
		[id]
	);
	const [first] = await rawQuery<{ at: Date | string }>(
		db,
		'select at from access_log_records where console_id = $1 order by seq limit 1',
		[id]
	);
	const sessions = await rawQuery<{ pipe_id: string | null; a: Num; b: Num; f: Date; t: Date; bytes: Num }>(
		db,
		`select pipe_id, min(seq) as a, max(seq) as b, min(at) as f, max(at) as t, sum(octet_length(data)) as bytes
		from access_log_records where console_id = $1 and kind = 'output' group by pipe_id order by min(seq)`,
		[id]
	);
	const users = await rawQuery<{
		user_id: number | null;
		username: string | null;
		n: Num;
		bytes: Num;
		f: Date;
		t: Date;
	}>(
		db,
		`select user_id, username, count(*) as n, sum(octet_length(data)) as bytes, min(at) as f, max(at) as t
		from access_log_records where console_id = $1 and kind = 'input' group by user_id, username order by min(seq)`,
		[id]
	);
	const events = await rawQuery<{ seq: Num; at: Date; username: string | null; data: Uint8Array }>(
		db,
		`select seq, at, username, data from access_log_records where console_id = $1 and kind = 'event'
		order by seq desc limit 2000`,
		[id]
	);
	return {
		...c,
		firstSeq: head ? Number(head.first_seq) : 1,
		lastSeq: head ? Number(head.last_seq) : 0,
		firstAt: first ? iso(first.at) : null,
		lastAt: head ? iso(head.last_at) : null,
		sessions: sessions.map((s) => ({
			pipeId: s.pipe_id,
			firstSeq: Number(s.a),
			lastSeq: Number(s.b),
			from: iso(s.f)!,
			to: iso(s.t)!,
			bytes: Number(s.bytes)
		})),
		users: users.map((u) => ({
			userId: u.user_id,
			username: u.username ?? '?',
			inputs: Number(u.n),
			bytes: Number(u.bytes),
			firstAt: iso(u.f)!,
			lastAt: iso(u.t)!
		})),
		events: events.reverse().map((e) => ({
			seq: Number(e.seq),
			at: iso(e.at)!,
			username: e.username,
			event: parseEvent(e.data)
		}))
	};
}

export function parseEvent(data: Uint8Array): unknown {
	const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
	try {
		return JSON.parse(text);
	} catch {
		return { event: 'note', text };
	}
}
