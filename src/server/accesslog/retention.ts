// Retention: purges whole old prefixes of each console's chain and keeps tamper evidence. A purge first checks
// the prefix it removes (links, hashes, MACs), the head's MAC and the previous checkpoint, so it never signs
// over tampering; then it deletes the records and their text lines, moves the head's start (first_seq,
// first_prev_hash) and writes an HMAC'd checkpoint naming the last purged record, when and by whom.
// A record an enabled forwarder has not sent yet is kept, whatever its age.
import type { Db } from '../db/client';
import type { AccessLogKind } from '../db/schema/accesslog';
import { buf } from './batch';
import { checkpointMac, headMac, recordHash, recordMac, sameBytes } from './chain';
import { rawTransaction, type Query } from './raw';

/** Records removed per transaction (PGlite has one connection: keep transactions short). */
export const PURGE_CHUNK = 2000;
const READ_BATCH = 200;
const DAY_MS = 86_400_000;

type Num = string | number;

export interface PurgeWho {
	/** The run's time: records older than now − days go; also the checkpoint's purge time. */
	at: Date;
	by: string;
}

export interface ConsolePurge {
	consoleId: number;
	consoleName: string | null;
	days: number;
	/** The last record purged now (0: none). */
	throughSeq: number;
	records: number;
	/** Records past retention kept because an enabled forwarder has not sent them; and the first such one. */
	heldBack: number;
	heldBy: string | null;
	error: string | null;
}

interface HeadRow {
	first_seq: Num;
	first_prev_hash: Uint8Array;
	last_seq: Num;
	last_hash: Uint8Array;
	mac: Uint8Array;
}

interface CheckpointRow {
	seq: Num;
	hash: Uint8Array;
	at: Date | string;
	purged_at: Date | string;
	purged_by: string;
	records: Num;
	mac: Uint8Array;
}

/** A purge refused because what it would remove (or sign) does not verify. */
export class RetentionRefused extends Error {}

export async function readCheckpoint(q: Query, consoleId: number): Promise<CheckpointRow | undefined> {
	const [c] = await q<CheckpointRow>(
		'select seq, hash, at, purged_at, purged_by, records, mac from access_log_checkpoints where console_id = $1',
		[consoleId]
	);
	return c;
}

/** Is `c` the intact checkpoint of a chain that now starts at `firstSeq` after `firstPrevHash`? */
export function checkpointHolds(
	key: Buffer,
	consoleId: number,
	c: CheckpointRow | undefined,
	firstSeq: number,
	firstPrevHash: Uint8Array
): boolean {
	if (!c) return false;
	const mac = checkpointMac(key, {
		consoleId,
		seq: Number(c.seq),
		hash: buf(c.hash),
		at: new Date(c.at),
		purgedAt: new Date(c.purged_at),
		purgedBy: c.purged_by,
		records: Number(c.records)
	});
	return sameBytes(mac, c.mac) && Number(c.seq) === firstSeq - 1 && sameBytes(c.hash, firstPrevHash);
}

/** Checks records `from`..`to` link on from `prev` with right hashes and MACs; returns the last one's hash. */
async function checkSegment(
	q: Query,
	key: Buffer,
	consoleId: number,
	from: number,
	to: number,
	prev: Uint8Array
): Promise<{ hash: Buffer; at: Date }> {
	let seq = from;
	let last: { hash: Buffer; at: Date } | null = null;
	while (seq <= to) {
		const rows = await q<{
			seq: Num;
			at: Date | string;
			kind: AccessLogKind;
			device_id: number | null;
			user_id: number | null;
			username: string | null;
			pipe_id: string | null;
			agent_seq: Num | null;
			data: Uint8Array;
			prev_hash: Uint8Array;
			hash: Uint8Array;
			mac: Uint8Array;
		}>(
			`select seq, at, kind, device_id, user_id, username, pipe_id, agent_seq, data, prev_hash, hash, mac
			from access_log_records where console_id = $1 and seq >= $2 and seq <= $3 order by seq limit ${READ_BATCH}`,
			[consoleId, seq, to]
		);
		if (!rows.length || Number(rows[0].seq) !== seq) throw new RetentionRefused(`record ${seq} is missing`);
		for (const r of rows) {
			if (Number(r.seq) !== seq) throw new RetentionRefused(`record ${seq} is missing`);
			const at = new Date(r.at);
			const hash = recordHash({
				consoleId,
				seq,
				at,
				kind: r.kind,
				deviceId: r.device_id,
				userId: r.user_id,
				username: r.username,
				pipeId: r.pipe_id,
				agentSeq: r.agent_seq === null ? null : Number(r.agent_seq),
				data: r.data,
				prevHash: r.prev_hash
			});
			if (
				!sameBytes(r.prev_hash, prev) ||
				!sameBytes(hash, r.hash) ||
				!sameBytes(recordMac(key, hash), r.mac)
			)
				throw new RetentionRefused(`record ${seq} does not verify`);
			prev = hash;
			last = { hash, at };
			seq++;
		}
	}
	return last!;
}

interface StepResult {
	records: number;
	throughSeq: number;
	heldBack: number;
	heldBy: string | null;
	/** Nothing more to purge now. */
	done: boolean;
}

/** Purges the next chunk of one console's records older than `cutoff`, in one transaction. */
async function purgeStep(
	db: Db,
	key: Buffer,
	consoleId: number,
	cutoff: Date,
	who: PurgeWho
): Promise<StepResult> {
	return rawTransaction(db, async (q) => {
		const none = { records: 0, throughSeq: 0, heldBack: 0, heldBy: null, done: true };
		// The writers lock this row too: appends wait for the purge, and see the new start afterwards.
		const [h] = await q<HeadRow>(
			`select first_seq, first_prev_hash, last_seq, last_hash, mac from access_log_heads
			where console_id = $1 for update`,
			[consoleId]
		);
		if (!h) return none;
		const first = Number(h.first_seq);
		const lastSeq = Number(h.last_seq);
		if (lastSeq < first) return none;
		const limit = Math.min(lastSeq, first + PURGE_CHUNK - 1);
		// Times are nearly in seq order; the prefix ends before the first record young enough to keep.
		const [young] = await q<{ seq: Num }>(
			`select seq from access_log_records where console_id = $1 and seq >= $2 and seq <= $3 and at >= $4
			order by seq limit 1`,
			[consoleId, first, limit, cutoff]
		);
		const old = young ? Number(young.seq) - 1 : limit;
		if (old < first) return none;
		const [fwd] = await q<{ name: string; seq: Num }>(
			`select f.name, coalesce(c.seq, $2::bigint - 1) as seq from access_log_forwarders f
			left join access_log_forward_cursors c on c.forwarder_id = f.id and c.console_id = $1
			where f.enabled order by 2, f.name limit 1`,
			[consoleId, first]
		);
		const [idx] = await q<{ seq: Num }>('select seq from access_log_line_state where console_id = $1', [
			consoleId
		]);
		const sent = fwd ? Number(fwd.seq) : Infinity;
		const through = Math.min(old, sent, Number(idx?.seq ?? 0));
		const heldBack = sent < old ? old - Math.max(sent, first - 1) : 0;
		const heldBy = heldBack ? fwd!.name : null;
		if (through < first) return { ...none, heldBack, heldBy };

		const head = {
			consoleId,
			firstSeq: first,
			firstPrevHash: buf(h.first_prev_hash),
			lastSeq,
			lastHash: buf(h.last_hash)
		};
		if (!sameBytes(headMac(key, head), h.mac))
			throw new RetentionRefused("the chain head's MAC does not match (its end was cut or rewritten)");
		const prior = await readCheckpoint(q, consoleId);
		if (first > 1 && !checkpointHolds(key, consoleId, prior, first, h.first_prev_hash))
			throw new RetentionRefused('the checkpoint of the last purge does not match the chain');
		const last = await checkSegment(q, key, consoleId, first, through, h.first_prev_hash);

		await q('delete from access_log_records where console_id = $1 and seq >= $2 and seq <= $3', [
			consoleId,
			first,
			through
		]);
		await q('delete from access_log_lines where console_id = $1 and seq <= $2', [consoleId, through]);
		const next = { ...head, firstSeq: through + 1, firstPrevHash: last.hash };
		await q(
			'update access_log_heads set first_seq = $2, first_prev_hash = $3, mac = $4 where console_id = $1',
			[consoleId, next.firstSeq, next.firstPrevHash, headMac(key, next)]
		);
		const records = through - first + 1;
		const cp = {
			consoleId,
			seq: through,
			hash: last.hash,
			at: last.at,
			purgedAt: who.at,
			purgedBy: who.by,
			records: Number(prior?.records ?? 0) + records
		};
		await q(
			`insert into access_log_checkpoints (console_id, seq, hash, at, purged_at, purged_by, records, mac)
			values ($1, $2, $3, $4, $5, $6, $7, $8)
			on conflict (console_id) do update set seq = excluded.seq, hash = excluded.hash, at = excluded.at,
				purged_at = excluded.purged_at, purged_by = excluded.purged_by, records = excluded.records, mac = excluded.mac`,
			[consoleId, cp.seq, cp.hash, cp.at, cp.purgedAt, cp.purgedBy, cp.records, checkpointMac(key, cp)]
		);
		return { records, throughSeq: through, heldBack, heldBy, done: through < limit || limit === lastSeq };
	});
}

/** Purges one console's records older than `days` (all chunks). A refusal is reported, not thrown. */
export async function purgeConsole(
	db: Db,
	key: Buffer,
	target: { consoleId: number; consoleName: string | null; days: number },
	who: PurgeWho
): Promise<ConsolePurge> {
	const cutoff = new Date(who.at.getTime() - target.days * DAY_MS);
	const out: ConsolePurge = { ...target, throughSeq: 0, records: 0, heldBack: 0, heldBy: null, error: null };
	try {
		for (;;) {
			const s = await purgeStep(db, key, target.consoleId, cutoff, who);
			out.records += s.records;
			if (s.throughSeq) out.throughSeq = s.throughSeq;
			out.heldBack = s.heldBack;
			out.heldBy = s.heldBy;
			if (s.done || !s.records) break;
		}
	} catch (e) {
		if (!(e instanceof RetentionRefused)) throw e;
		out.error = `Not purged: ${e.message}. Run \`fleetdesk log verify\` on this console.`;
	}
	return out;
}
