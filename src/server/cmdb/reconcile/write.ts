// Writing in bulk: new CIs and 'missing' flags, with the same rows and history entries cis.ts writes one at a
// time; relations are in write-relations.ts. Changes to existing CIs and deletions go through cis.ts instead.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client';
import { UserError } from '../../errors';
import { deleteCi, searchText } from '../cis';
import { ValidationError } from '../validation';
import { CI_COLS, idList, toCi, type CiSqlRow } from './read';
import type { AnyCi, Child, CiLite, Data, NewCi, ReconcileError, Resolved } from './types';

export interface HistoryRow {
	ci_id: number;
	class_id: number;
	version: number;
	op: string;
	actor_id: number | null;
	actor_name: string;
	source: string;
	message: string;
	changes: Record<string, [unknown, unknown]>;
	state: { name: string; classId: number; data: Data } | null;
	relation: {
		id: number;
		domainId: number;
		domain: string;
		label: string;
		otherId: number;
		otherName: string;
	} | null;
}

/** A history entry exactly as history.ts writeHistory writes one. */
export function historyRow(
	R: Resolved,
	ci: Pick<CiLite, 'id' | 'classId' | 'version' | 'name' | 'data'>,
	op: string,
	e: { changes?: Record<string, [unknown, unknown]>; state?: boolean; relation?: HistoryRow['relation'] } = {}
): HistoryRow {
	return {
		ci_id: ci.id,
		class_id: ci.classId,
		version: ci.version,
		op,
		actor_id: R.ctx.actor.id,
		actor_name: R.ctx.actor.name,
		source: R.ctx.source,
		message: R.ctx.message?.trim() ?? '',
		changes: e.changes ?? {},
		state: e.state === false ? null : { name: ci.name, classId: ci.classId, data: ci.data },
		relation: e.relation ?? null
	};
}

export const BULK = 2000;

export async function insertHistory(t: Db, rows: HistoryRow[]): Promise<number> {
	for (let i = 0; i < rows.length; i += BULK) {
		await t.execute(sql`
			insert into cmdb_history (ci_id, class_id, version, op, actor_id, actor_name, source, message, changes, state, relation)
			select ci_id, class_id, version, op, actor_id, actor_name, source, message, changes, state, relation
			from json_to_recordset(${JSON.stringify(rows.slice(i, i + BULK))}::json) as x(
				ci_id int, class_id int, version int, op text, actor_id int, actor_name text, source text,
				message text, changes jsonb, state jsonb, relation jsonb)`);
	}
	return rows.length;
}

/**
 * n fresh ids of `table`. With a single connection (PGlite) one block is taken from the sequence, since nobody
 * else draws from it meanwhile; otherwise each is drawn, in one row (returning thousands of rows costs far
 * more than drawing them).
 */
export async function nextIds(
	t: Db,
	R: Pick<Resolved, 'singleConnection'>,
	table: 'cmdb_cis' | 'cmdb_relations',
	n: number
): Promise<number[]> {
	if (!n) return [];
	const seq = sql`(select pg_get_serial_sequence(${table}, 'id')::regclass as seq) s`;
	if (R.singleConnection) {
		const [r] = await queryRows<{ last: number }>(
			t,
			sql`select setval(s.seq, nextval(s.seq) + ${n - 1}) as last from ${seq}`
		);
		const first = Number(r.last) - n + 1;
		return Array.from({ length: n }, (_, i) => first + i);
	}
	const [r] = await queryRows<{ ids: string }>(
		t,
		sql`select string_agg(nextval(s.seq)::text, ',') as ids from ${seq}, generate_series(1, ${n})`
	);
	return r.ids.split(',').map(Number);
}

export async function insertCis(t: Db, R: Resolved, cis: NewCi[]): Promise<number> {
	const manualFor = (data: Data) =>
		R.ctx.source === 'inventory' || R.ctx.source === 'system' ? [] : Object.keys(data);
	for (let i = 0; i < cis.length; i += BULK) {
		const part = cis.slice(i, i + BULK).map((c) => ({
			id: c.id,
			class_id: c.classId,
			name: c.name,
			data: c.data,
			manual: manualFor(c.data),
			search_text: searchText(c.cls, c.name, c.data)
		}));
		await t.execute(sql`
			insert into cmdb_cis (id, class_id, name, data, manual, search)
			select id, class_id, name, data, manual, to_tsvector('simple', search_text)
			from json_to_recordset(${JSON.stringify(part)}::json) as x(
				id int, class_id int, name text, data jsonb, manual jsonb, search_text text)`);
	}
	const history = cis.map((c) => {
		const changes: Record<string, [unknown, unknown]> = { name: [null, c.name] };
		for (const [k, v] of Object.entries(c.data)) changes[k] = [null, v];
		return historyRow(R, c, 'create', { changes });
	});
	return cis.length + (await insertHistory(t, history));
}

/** Flags CIs missing: missingSince set, a new version, a 'missing' history entry. */
export async function flagMissing(t: Db, R: Resolved, idsToFlag: number[]): Promise<number> {
	if (!idsToFlag.length) return 0;
	const rows = await queryRows<CiSqlRow>(
		t,
		sql`update cmdb_cis c set missing_since = now(), version = c.version + 1, updated_at = now()
			where c.id = any(${idList(idsToFlag)}) and c.missing_since is null returning ${CI_COLS}`
	);
	await insertHistory(
		t,
		rows.map((r) => historyRow(R, toCi(r), 'missing'))
	);
	return rows.length;
}

/** A CI back after being flagged missing, for sources other than inventory (updateCi does it for inventory). */
export async function markFound(t: Db, R: Resolved, id: number): Promise<CiLite> {
	const [r] = await queryRows<CiSqlRow>(
		t,
		sql`update cmdb_cis c set missing_since = null, version = c.version + 1, updated_at = now()
			where c.id = ${id} returning ${CI_COLS}`
	);
	const ci = toCi(r);
	await insertHistory(t, [historyRow(R, ci, 'found')]);
	return ci;
}

export async function deleteWithCount(t: Db, R: Resolved, id: number): Promise<number> {
	const [{ n }] = await queryRows<{ n: number }>(
		t,
		sql`select count(*)::int as n from cmdb_relations where source_id = ${id} or target_id = ${id}`
	);
	await deleteCi(t, R.ctx, id);
	return 2 + 3 * Number(n);
}

export function fieldErrors(key: string, e: unknown, prefix = ''): ReconcileError[] {
	if (e instanceof ValidationError)
		return e.fields.map((f) => ({ key, field: prefix + f.field, message: f.message }));
	// Drizzle wraps driver errors in one that quotes the whole query and its parameters; the cause says it.
	const cause = (e as { cause?: unknown }).cause;
	const message =
		e instanceof UserError
			? e.message
			: `The database refused this record: ${cause instanceof Error ? cause.message : (e as Error).message}`;
	const field = prefix.replace(/\.$/, '');
	return [field ? { key, field, message } : { key, message }];
}

/** Source and target of a child's relation, by the side the child is on. */
export function ends(ch: Child, parent: AnyCi, child: AnyCi): { source: AnyCi; target: AnyCi } {
	return ch.childSide === 'target' ? { source: parent, target: child } : { source: child, target: parent };
}

/**
 * Whether this database has a single connection (PGlite, where this process is superuser): a chunk's
 * transaction then holds it from its first read to its commit, so nothing can delete a CI or a domain it
 * checked before it commits.
 */
export async function singleConnection(db: Db): Promise<boolean> {
	const [r] = await queryRows<{ one: boolean }>(
		db,
		sql`select version() like '%PGlite%' and current_setting('is_superuser') = 'on' as one`
	);
	return r?.one === true;
}
