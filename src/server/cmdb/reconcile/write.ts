// Writing in bulk: new CIs, relations, relation changes and 'missing' flags, with the same rows and history
// entries cis.ts and relations.ts write one at a time (a first inventory of 1,000 computers is ~300,000
// relations). Changes to existing CIs and deletions go through cis.ts instead.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client';
import { UserError } from '../../errors';
import { deleteCi, searchText } from '../cis';
import type { DomainDef } from '../model';
import { ValidationError } from '../validation';
import { CI_COLS, idList, toCi, type CiSqlRow } from './read';
import type { AnyCi, Child, CiLite, Data, NewCi, ReconcileError, RelLite, Resolved } from './types';

interface HistoryRow {
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
function historyRow(
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

/** The two history entries of a relation event, one on each side (as relate/unrelate write them). */
function relationHistory(
	R: Resolved,
	d: DomainDef,
	op: string,
	relId: number,
	source: AnyCi,
	target: AnyCi,
	changes?: { source?: [unknown, unknown]; target?: [unknown, unknown] }
): HistoryRow[] {
	const rel = (label: string, other: AnyCi) => ({
		id: relId,
		domainId: d.id,
		domain: d.name,
		label,
		otherId: other.id,
		otherName: other.name
	});
	return [
		historyRow(R, source, op, {
			state: false,
			relation: rel(d.forwardLabel, target),
			changes: changes?.source ? { [`${d.name}→${target.name}`]: changes.source } : {}
		}),
		historyRow(R, target, op, {
			state: false,
			relation: rel(d.reverseLabel, source),
			changes: changes?.target ? { [`${d.name}→${source.name}`]: changes.target } : {}
		})
	];
}

const BULK = 2000;

async function insertHistory(t: Db, rows: HistoryRow[]): Promise<number> {
	for (let i = 0; i < rows.length; i += BULK) {
		await t.execute(sql`
			insert into cmdb_history (ci_id, class_id, version, op, actor_id, actor_name, source, message, changes, state, relation)
			select ci_id, class_id, version, op, actor_id, actor_name, source, message, changes, state, relation
			from jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + BULK))}::jsonb) as x(
				ci_id int, class_id int, version int, op text, actor_id int, actor_name text, source text,
				message text, changes jsonb, state jsonb, relation jsonb)`);
	}
	return rows.length;
}

export async function nextIds(t: Db, table: 'cmdb_cis' | 'cmdb_relations', n: number): Promise<number[]> {
	if (!n) return [];
	const rows = await queryRows<{ id: number }>(
		t,
		sql`select nextval(s.seq)::int as id
			from (select pg_get_serial_sequence(${table}, 'id')::regclass as seq) s, generate_series(1, ${n})`
	);
	return rows.map((r) => Number(r.id));
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
			from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(
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

interface RelEnd {
	ch: Child;
	parent: AnyCi;
	child: AnyCi;
}

/** Ends relations; returns the rows written. */
export async function deleteRelations(
	t: Db,
	R: Resolved,
	removes: (RelEnd & { rel: RelLite; child: CiLite })[]
): Promise<number> {
	if (!removes.length) return 0;
	await t.execute(sql`delete from cmdb_relations where id = any(${idList(removes.map((x) => x.rel.id))})`);
	const h = removes.flatMap((x) => {
		const e = ends(x.ch, x.parent, x.child);
		return relationHistory(R, x.ch.domain, 'unrelate', x.rel.id, e.source, e.target);
	});
	return removes.length + (await insertHistory(t, h));
}

/** Creates relations (their CIs exist by now); returns the rows written. */
export async function insertRelations(
	t: Db,
	R: Resolved,
	adds: (RelEnd & { data: Data })[]
): Promise<number> {
	const relIds = await nextIds(t, 'cmdb_relations', adds.length);
	const relRows = adds.map((x, i) => {
		const e = ends(x.ch, x.parent, x.child);
		return {
			id: relIds[i],
			domain_id: x.ch.domain.id,
			source_id: e.source.id,
			target_id: e.target.id,
			data: x.data,
			e,
			x
		};
	});
	for (let i = 0; i < relRows.length; i += BULK) {
		const part = relRows.slice(i, i + BULK).map(({ e: _e, x: _x, ...row }) => row);
		await t.execute(sql`
			insert into cmdb_relations (id, domain_id, source_id, target_id, data)
			select id, domain_id, source_id, target_id, data
			from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(id int, domain_id int, source_id int, target_id int, data jsonb)`);
	}
	const relHistory = relRows.flatMap((r) =>
		relationHistory(
			R,
			r.x.ch.domain,
			'relate',
			r.id,
			r.e.source,
			r.e.target,
			Object.keys(r.data).length ? { source: [null, r.data] } : undefined
		)
	);
	return relRows.length + (await insertHistory(t, relHistory));
}

/** Changes the values of relations; returns the rows written. */
export async function updateRelations(
	t: Db,
	R: Resolved,
	updates: (RelEnd & { rel: RelLite; child: CiLite; data: Data })[]
): Promise<number> {
	if (!updates.length) return 0;
	await t.execute(sql`
		update cmdb_relations r set data = x.data
		from jsonb_to_recordset(${JSON.stringify(updates.map((u) => ({ id: u.rel.id, data: u.data })))}::jsonb) as x(id int, data jsonb)
		where r.id = x.id`);
	const h = updates.flatMap((u) => {
		const e = ends(u.ch, u.parent, u.child);
		const change: [unknown, unknown] = [u.rel.data, u.data];
		return relationHistory(R, u.ch.domain, 'update', u.rel.id, e.source, e.target, {
			source: change,
			target: change
		});
	});
	return updates.length + (await insertHistory(t, h));
}
