// One group commit: many entries, one transaction. The chain heads of the consoles involved are locked (in
// console order, so two nodes never deadlock), each entry gets the next seq and links to the previous hash,
// and records and heads are written with one statement each.
import type { Db } from '../db/client';
import type { AccessLogKind } from '../db/schema/accesslog';
import { ZERO_HASH, headMac, recordHash, recordMac } from './chain';
import { placeholders, rawTransaction, type Query } from './raw';

export interface NormalEntry {
	consoleId: number;
	deviceId: number | null;
	kind: AccessLogKind;
	at: Date;
	userId: number | null;
	username: string | null;
	pipeId: string | null;
	agentSeq: number | null;
	data: Uint8Array;
}

interface Head {
	consoleId: number;
	deviceId: number | null;
	firstSeq: number;
	firstPrevHash: Buffer;
	lastSeq: number;
	lastHash: Buffer;
	lastAt: Date | null;
	pipeId: string | null;
	pipeAgentSeq: number;
	changed: boolean;
}

interface HeadRow {
	console_id: number;
	device_id: number | null;
	first_seq: string | number;
	first_prev_hash: Uint8Array;
	last_seq: string | number;
	last_hash: Uint8Array;
	last_at: Date | string | null;
	pipe_id: string | null;
	pipe_agent_seq: string | number;
}

/** A record as committed: what the line indexer needs of it (indexer.ts takes these instead of reading them). */
export interface StoredRecord {
	consoleId: number;
	seq: number;
	kind: AccessLogKind;
	at: Date;
	deviceId: number | null;
	data: Uint8Array;
}

/** Rows per INSERT statement (13 parameters each, well under PostgreSQL's 65535). */
const ROWS_PER_STATEMENT = 1000;

export const buf = (b: Uint8Array): Buffer =>
	Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Consoles whose head row this process has seen (it is never deleted), to skip the insert. */
const knownHeads = new WeakMap<Db, Set<number>>();

async function lockHeads(
	q: Query,
	known: Set<number>,
	key: Buffer,
	ids: number[]
): Promise<Map<number, Head>> {
	const fresh = ids.filter((id) => !known.has(id));
	if (fresh.length) {
		const params = fresh.flatMap((id) => [
			id,
			ZERO_HASH,
			headMac(key, { consoleId: id, firstSeq: 1, firstPrevHash: ZERO_HASH, lastSeq: 0, lastHash: ZERO_HASH })
		]);
		await q(
			`insert into access_log_heads (console_id, first_prev_hash, last_hash, mac)
			select v.id, v.z, v.z, v.mac from (values ${placeholders(fresh.length, 3, 0, ['::int', '::bytea', '::bytea'])}) as v(id, z, mac)
			on conflict (console_id) do nothing`,
			params
		);
	}
	const rows = await q<HeadRow>(
		`select console_id, device_id, first_seq, first_prev_hash, last_seq, last_hash, last_at, pipe_id,
			pipe_agent_seq
		from access_log_heads where console_id = any($1::int[]) order by console_id for update`,
		[ids]
	);
	const heads = new Map<number, Head>();
	for (const r of rows)
		heads.set(r.console_id, {
			consoleId: r.console_id,
			deviceId: r.device_id,
			firstSeq: Number(r.first_seq),
			firstPrevHash: buf(r.first_prev_hash),
			lastSeq: Number(r.last_seq),
			lastHash: buf(r.last_hash),
			lastAt: r.last_at === null ? null : new Date(r.last_at),
			pipeId: r.pipe_id,
			pipeAgentSeq: Number(r.pipe_agent_seq),
			changed: false
		});
	return heads;
}

async function storedSeqIn(q: Query, pipeId: string): Promise<number> {
	const [r] = await q<{ s: string | number | null }>(
		'select max(agent_seq) as s from access_log_records where pipe_id = $1',
		[pipeId]
	);
	return Number(r?.s ?? 0);
}

async function insertRows(q: Query, head: string, width: number, params: unknown[]): Promise<void> {
	const per = ROWS_PER_STATEMENT * width;
	for (let i = 0; i < params.length; i += per) {
		const slice = params.slice(i, i + per);
		await q(`${head} values ${placeholders(slice.length / width, width)}`, slice);
	}
}

const RECORD_COLUMNS =
	'insert into access_log_records (console_id, seq, at, kind, device_id, user_id, username, pipe_id, agent_seq, data, prev_hash, hash, mac)';
const HEAD_CASTS = [
	'::int',
	'::int',
	'::bigint',
	'::bytea',
	'::timestamptz',
	'::bytea',
	'::uuid',
	'::bigint'
];

/** Writes `entries` in one transaction; returns the records stored (output already stored is skipped). */
export async function writeBatch(db: Db, key: Buffer, entries: NormalEntry[]): Promise<StoredRecord[]> {
	const ids = [...new Set(entries.map((e) => e.consoleId))].sort((a, b) => a - b);
	const known = knownHeads.get(db) ?? new Set<number>();
	knownHeads.set(db, known);
	const stored = await rawTransaction(db, async (q) => {
		const heads = await lockHeads(q, known, key, ids);
		const records: unknown[] = [];
		const stored: StoredRecord[] = [];
		for (const e of entries) {
			const h = heads.get(e.consoleId)!;
			if (e.kind === 'output' && e.pipeId !== null && e.agentSeq !== null) {
				// The agent resends what it has not heard was stored (after a reconnect or a restart): store once.
				const last = h.pipeId === e.pipeId ? h.pipeAgentSeq : await storedSeqIn(q, e.pipeId);
				if (e.agentSeq <= last) continue;
				h.pipeId = e.pipeId;
				h.pipeAgentSeq = e.agentSeq;
			}
			const seq = h.lastSeq + 1;
			const hash = recordHash({ ...e, seq, prevHash: h.lastHash });
			const mac = recordMac(key, hash);
			records.push(e.consoleId, seq, e.at, e.kind, e.deviceId, e.userId, e.username, e.pipeId, e.agentSeq);
			records.push(buf(e.data), h.lastHash, hash, mac);
			stored.push({
				consoleId: e.consoleId,
				seq,
				kind: e.kind,
				at: e.at,
				deviceId: e.deviceId,
				data: e.data
			});
			h.lastSeq = seq;
			h.lastHash = hash;
			h.lastAt = e.at;
			h.deviceId = e.deviceId;
			h.changed = true;
		}
		if (!records.length) return stored;
		await insertRows(q, RECORD_COLUMNS, 13, records);
		const changed = [...heads.values()].filter((h) => h.changed);
		const params = changed.flatMap((h) => [
			h.consoleId,
			h.deviceId,
			h.lastSeq,
			h.lastHash,
			h.lastAt,
			headMac(key, h),
			h.pipeId,
			h.pipeAgentSeq
		]);
		await q(
			`update access_log_heads h set device_id = v.device_id, last_seq = v.last_seq, last_hash = v.last_hash,
				last_at = v.last_at, mac = v.mac, pipe_id = v.pipe_id, pipe_agent_seq = v.pipe_agent_seq, updated_at = now()
			from (values ${placeholders(changed.length, 8, 0, HEAD_CASTS)}) as v(console_id, device_id, last_seq,
				last_hash, last_at, mac, pipe_id, pipe_agent_seq)
			where h.console_id = v.console_id`,
			params
		);
		return stored;
	});
	for (const id of ids) known.add(id);
	return stored;
}
