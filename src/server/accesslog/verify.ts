// Walks each console's chain in seq order, in batches, and stops at the first record that is not what the
// writer wrote: its hash, its link to the previous record and its MAC are recomputed. The first bad place is
// then classified by looking around it (is this an intact record from elsewhere? is the expected one later?).
// A chain that retention cut starts after its checkpoint (the last purged record's seq and hash, HMAC'd with
// who purged when): the checkpoint must match the head's start, or the missing prefix counts as removed.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import type { AccessLogKind } from '../db/schema/accesslog';
import { buf } from './batch';
import { checkpointMac, headMac, recordHash, recordMac, sameBytes, type ChainFields } from './chain';
import { accessLogKey } from './key';

export type ChainProblem = 'altered' | 'removed' | 'reordered' | 'inserted' | 'truncated' | 'key';

export interface ConsoleVerdict {
	consoleId: number;
	consoleName: string | null;
	/** Records checked. */
	records: number;
	firstSeq: number;
	lastSeq: number;
	ok: boolean;
	/** The first bad record (its seq) and what is wrong there. */
	problem?: { kind: ChainProblem; seq: number; message: string };
	/** Records 1..throughSeq were purged by retention (the checkpoint verified): when, by whom, how many. */
	purged?: PurgedPrefix;
}

export interface PurgedPrefix {
	throughSeq: number;
	/** The time of the last purged record. */
	lastAt: string;
	purgedAt: string;
	purgedBy: string;
	records: number;
}

/** "records before 21 were purged by retention on 2025-03-01" (dates in UTC). */
export function purgedNote(p: PurgedPrefix): string {
	return `records before ${p.throughSeq + 1} were purged by retention on ${p.purgedAt.slice(0, 10)}`;
}

export interface VerifyResult {
	ok: boolean;
	records: number;
	consoles: ConsoleVerdict[];
}

/** Records read per query (each up to 64 KiB of data). */
const BATCH = 200;
/** How far around a bad record to look for where its contents came from. */
const WINDOW = 16;

interface Row {
	console_id: number;
	seq: string | number;
	at: Date | string;
	kind: AccessLogKind;
	device_id: number | null;
	user_id: number | null;
	username: string | null;
	pipe_id: string | null;
	agent_seq: string | number | null;
	data: Uint8Array;
	prev_hash: Uint8Array;
	hash: Uint8Array;
	mac: Uint8Array;
}

interface CheckpointRow {
	seq: string | number;
	hash: Uint8Array;
	at: Date | string;
	purged_at: Date | string;
	purged_by: string;
	records: string | number;
	mac: Uint8Array;
}

interface HeadRow {
	console_id: number;
	first_seq: string | number;
	first_prev_hash: Uint8Array;
	last_seq: string | number;
	last_hash: Uint8Array;
	mac: Uint8Array;
}

function fields(r: Row, seq: number): ChainFields {
	return {
		consoleId: r.console_id,
		seq,
		at: new Date(r.at),
		kind: r.kind,
		deviceId: r.device_id,
		userId: r.user_id,
		username: r.username,
		pipeId: r.pipe_id,
		agentSeq: r.agent_seq === null ? null : Number(r.agent_seq),
		data: r.data,
		prevHash: r.prev_hash
	};
}

/** Is `r` an intact record written at position `seq` (hash right, MAC right)? */
function genuineAt(key: Buffer, r: Row, seq: number): boolean {
	return sameBytes(recordHash(fields(r, seq)), r.hash) && sameBytes(recordMac(key, r.hash), r.mac);
}

async function rows(db: Db, consoleId: number, from: number, to: number, limit = BATCH): Promise<Row[]> {
	return queryRows<Row>(
		db,
		sql`select console_id, seq, at, kind, device_id, user_id, username, pipe_id, agent_seq, data, prev_hash, hash, mac
		from access_log_records where console_id = ${consoleId} and seq >= ${from} and seq <= ${to}
		order by seq limit ${limit}`
	);
}

async function head(db: Db, consoleId: number): Promise<HeadRow | undefined> {
	const [h] = await queryRows<HeadRow>(
		db,
		sql`select console_id, first_seq, first_prev_hash, last_seq, last_hash, mac from access_log_heads
		where console_id = ${consoleId}`
	);
	return h;
}

/** Checks the retention checkpoint of a chain that starts at `firstSeq`: the prefix it accounts for, or a problem. */
async function checkpoint(
	db: Db,
	key: Buffer,
	consoleId: number,
	firstSeq: number,
	firstPrevHash: Uint8Array
): Promise<PurgedPrefix | { kind: ChainProblem; seq: number; message: string }> {
	const [c] = await queryRows<CheckpointRow>(
		db,
		sql`select seq, hash, at, purged_at, purged_by, records, mac from access_log_checkpoints
		where console_id = ${consoleId}`
	);
	const gone = firstSeq - 1;
	if (!c)
		return {
			kind: 'removed',
			seq: 1,
			message: `Records 1 to ${gone} were removed: no retention checkpoint accounts for them.`
		};
	const p: PurgedPrefix = {
		throughSeq: Number(c.seq),
		lastAt: new Date(c.at).toISOString(),
		purgedAt: new Date(c.purged_at).toISOString(),
		purgedBy: c.purged_by,
		records: Number(c.records)
	};
	const mac = checkpointMac(key, {
		...p,
		consoleId,
		seq: p.throughSeq,
		hash: buf(c.hash),
		at: new Date(c.at),
		purgedAt: new Date(c.purged_at)
	});
	if (!sameBytes(mac, c.mac))
		return {
			kind: 'altered',
			seq: gone,
			message: `The retention checkpoint (records 1 to ${gone}) was altered: its MAC does not match.`
		};
	if (p.throughSeq !== gone || !sameBytes(c.hash, firstPrevHash))
		return {
			kind: 'removed',
			seq: Math.min(p.throughSeq, gone) + 1,
			message: `The log starts at record ${firstSeq}, but the retention checkpoint accounts only for records 1 to ${p.throughSeq}: records were removed.`
		};
	return p;
}

/** What happened at position `seq`, where `r` sits but does not belong, `prev` being the hash expected before. */
async function classify(
	db: Db,
	key: Buffer,
	consoleId: number,
	seq: number,
	r: Row,
	prev: Uint8Array
): Promise<{ kind: ChainProblem; message: string }> {
	const around = await rows(db, consoleId, Math.max(1, seq - WINDOW), seq + WINDOW, 2 * WINDOW + 1);
	const belongsHere = (x: Row) => genuineAt(key, x, seq) && sameBytes(x.prev_hash, prev);
	const expected = around.find((x) => Number(x.seq) !== seq && belongsHere(x));
	let origin: number | null = null;
	for (let s = Math.max(1, seq - WINDOW); s <= seq + WINDOW && origin === null; s++)
		if (s !== seq && genuineAt(key, r, s)) origin = s;
	if (expected && origin !== null)
		return {
			kind: 'reordered',
			message: `Record ${seq} is out of order: it holds record ${origin}, and record ${seq} was moved to ${Number(expected.seq)}.`
		};
	if (expected)
		return {
			kind: 'inserted',
			message: `Record ${seq} was inserted: the record that belongs here now sits at ${Number(expected.seq)}.`
		};
	if (origin !== null && origin > seq)
		return {
			kind: 'removed',
			message: `Record ${seq} was removed${origin > seq + 1 ? ` (with ${origin - seq - 1} more)` : ''}: the records after it were renumbered.`
		};
	const hashOk = sameBytes(recordHash(fields(r, seq)), r.hash);
	if (hashOk && sameBytes(r.prev_hash, prev))
		return {
			kind: 'altered',
			message: `Record ${seq} was altered and its hash recomputed: its MAC does not match.`
		};
	if (!hashOk)
		return { kind: 'altered', message: `Record ${seq} was altered: its hash does not match its contents.` };
	return {
		kind: 'altered',
		message: `Record ${seq} does not link to record ${seq - 1}: the chain was rewritten here.`
	};
}

async function verifyConsole(
	db: Db,
	key: Buffer,
	consoleId: number,
	name: string | null
): Promise<ConsoleVerdict> {
	for (let attempt = 0; ; attempt++) {
		const start = await head(db, consoleId);
		const v = await walk(db, key, consoleId, name, start);
		if (v.ok || !start || attempt >= 3) return v;
		// Retention may have purged a prefix while the walk ran: check again from where the chain starts now.
		const now = await head(db, consoleId);
		if (!now || Number(now.first_seq) === Number(start.first_seq)) return v;
	}
}

async function walk(
	db: Db,
	key: Buffer,
	consoleId: number,
	name: string | null,
	start: HeadRow | undefined
): Promise<ConsoleVerdict> {
	let h = start;
	const verdict: ConsoleVerdict = {
		consoleId,
		consoleName: name,
		records: 0,
		firstSeq: 1,
		lastSeq: 0,
		ok: true
	};
	const fail = (kind: ChainProblem, seq: number, message: string) => {
		verdict.ok = false;
		verdict.problem = { kind, seq, message };
		return verdict;
	};
	if (!h) {
		const [any] = await rows(db, consoleId, 1, Number.MAX_SAFE_INTEGER, 1);
		if (any)
			return fail(
				'truncated',
				Number(any.seq),
				'The chain head of this console is missing: its log was cut.'
			);
		return verdict;
	}
	verdict.firstSeq = Number(h.first_seq);
	if (verdict.firstSeq > 1) {
		const c = await checkpoint(db, key, consoleId, verdict.firstSeq, h.first_prev_hash);
		if ('kind' in c) return fail(c.kind, c.seq, c.message);
		verdict.purged = c;
	}
	let last = Number(h.last_seq);
	let prev: Uint8Array = h.first_prev_hash;
	let seq = verdict.firstSeq;
	for (;;) {
		while (seq <= last) {
			const batch = await rows(db, consoleId, seq, last);
			if (!batch.length) break;
			for (const r of batch) {
				if (Number(r.seq) > seq) {
					const n = Number(r.seq) - seq;
					return fail(
						'removed',
						seq,
						`Record ${seq}${n > 1 ? ` and ${n - 1} more after it were` : ' was'} removed.`
					);
				}
				const ok = sameBytes(recordHash(fields(r, seq)), r.hash) && sameBytes(r.prev_hash, prev);
				if (!ok || !sameBytes(recordMac(key, r.hash), r.mac)) {
					if (ok && seq === verdict.firstSeq && !sameBytes(headMac(key, headFields(h)), h.mac))
						return fail(
							'key',
							seq,
							"The MACs do not match this server's key: FLEETDESK_SECRET differs from the server that wrote this log, or the whole log was rewritten."
						);
					const c = await classify(db, key, consoleId, seq, r, prev);
					return fail(c.kind, seq, c.message);
				}
				prev = r.hash;
				verdict.records++;
				seq++;
			}
		}
		if (seq <= last)
			return fail('truncated', seq, `The log was cut: records ${seq} to ${last} are missing at the end.`);
		// Records written since the head was read are checked too; records past a head that did not move are not
		// the writer's.
		const now = await head(db, consoleId);
		if (!now) return fail('truncated', seq, 'The chain head of this console was removed during the check.');
		if (Number(now.last_seq) > last) {
			h = now;
			last = Number(now.last_seq);
			continue;
		}
		const [extra] = await rows(db, consoleId, last + 1, Number.MAX_SAFE_INTEGER, 1);
		if (extra)
			return fail(
				'inserted',
				Number(extra.seq),
				`Record ${Number(extra.seq)} lies past the end of the chain.`
			);
		break;
	}
	verdict.lastSeq = seq - 1;
	if (!sameBytes(prev, h.last_hash) || !sameBytes(headMac(key, headFields(h)), h.mac))
		return fail(
			'truncated',
			seq,
			`The chain head was rewritten (its MAC does not match): records after ${seq - 1} were probably cut.`
		);
	return verdict;
}

function headFields(h: HeadRow) {
	return {
		consoleId: h.console_id,
		firstSeq: Number(h.first_seq),
		firstPrevHash: buf(h.first_prev_hash),
		lastSeq: Number(h.last_seq),
		lastHash: buf(h.last_hash)
	};
}

/** Verifies one console's chain, or every console's (consoles that have a head or still exist). */
export async function verifyAccessLog(db: Db, opts: { consoleId?: number } = {}): Promise<VerifyResult> {
	const key = accessLogKey();
	const targets = await queryRows<{ id: number; name: string | null }>(
		db,
		opts.consoleId !== undefined
			? sql`select ${opts.consoleId}::int as id, (select name from consoles where id = ${opts.consoleId}) as name`
			: sql`select coalesce(h.console_id, c.id) as id, c.name from access_log_heads h
				full join consoles c on c.id = h.console_id order by 1`
	);
	const consoles: ConsoleVerdict[] = [];
	for (const t of targets) consoles.push(await verifyConsole(db, key, t.id, t.name));
	return {
		ok: consoles.every((c) => c.ok),
		records: consoles.reduce((n, c) => n + c.records, 0),
		consoles
	};
}
