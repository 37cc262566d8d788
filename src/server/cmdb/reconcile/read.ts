// Reading what exists for a chunk of records, in a few queries whatever the chunk's size: the parents by key,
// their children's relations, those children, and shared children by identity.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client';
import { identity } from './values';
import type { Child, ChunkRecord, CiLite, Data, Existing, Prep, RelLite, Resolved } from './types';

export interface CiSqlRow {
	id: number;
	class_id: number;
	name: string;
	data: Data;
	manual: string[];
	missing_since: Date | string | null;
	version: number;
}
export const CI_COLS = sql.raw('c.id, c.class_id, c.name, c.data, c.manual, c.missing_since, c.version');

export function toCi(r: CiSqlRow): CiLite {
	return {
		id: Number(r.id),
		classId: Number(r.class_id),
		name: r.name,
		data: r.data ?? {},
		manual: r.manual ?? [],
		missingSince: r.missing_since === null ? null : new Date(r.missing_since),
		version: Number(r.version)
	};
}

export const ids = (xs: number[]) =>
	sql.join(
		xs.map((x) => sql`${x}`),
		sql`, `
	);
export const jsonArray = (xs: unknown[]) => sql`${JSON.stringify(xs)}::jsonb`;
export const idList = (xs: number[]) => sql`array(select (jsonb_array_elements_text(${jsonArray(xs)}))::int)`;

async function fetchParents(t: Db, R: Resolved, preps: Prep[]): Promise<Map<string, CiLite>> {
	const out = new Map<string, CiLite>();
	if (!preps.length) return out;
	const classes = ids(R.cls.descendants);
	// Exact key values first: the GIN index on data answers these without scanning the class.
	const exact = preps.map((p) => sql`c.data @> ${JSON.stringify({ [R.key.name]: p.keyValue })}::jsonb`);
	const rows = await queryRows<CiSqlRow>(
		t,
		sql`select ${CI_COLS} from cmdb_cis c where c.class_id in (${classes}) and (${sql.join(exact, sql` or `)}) order by c.id`
	);
	for (const r of rows) {
		const ci = toCi(r);
		const k = String(ci.data[R.key.name]);
		if (!out.has(k)) out.set(k, ci);
	}
	// Keys are unique case-insensitively (like the unique check); the rest may differ in case only.
	const rest = preps.filter((p) => !out.has(p.keyStr)).map((p) => p.keyStr);
	if (rest.length) {
		const more = await queryRows<CiSqlRow & { k: string }>(
			t,
			sql`select ${CI_COLS}, k.value as k from cmdb_cis c
				join jsonb_array_elements_text(${jsonArray(rest)}) k on lower(c.data->>${R.key.name}) = lower(k.value)
				where c.class_id in (${classes}) order by c.id`
		);
		for (const r of more) if (!out.has(r.k)) out.set(r.k, toCi(r));
	}
	return out;
}

/** Relations of the parents in the children's domains: parent id → domain id → relations. */
export async function fetchRelations(
	t: Db,
	children: Child[],
	parentIds: number[]
): Promise<Map<number, Map<number, RelLite[]>>> {
	const out = new Map<number, Map<number, RelLite[]>>();
	if (!parentIds.length) return out;
	for (const side of ['target', 'source'] as const) {
		const domains = children.filter((c) => c.childSide === side).map((c) => c.domain.id);
		if (!domains.length) continue;
		const parentCol = sql.raw(side === 'target' ? 'source_id' : 'target_id');
		const rows = await queryRows<{
			id: number;
			domain_id: number;
			source_id: number;
			target_id: number;
			data: Data;
		}>(
			t,
			sql`select id, domain_id, source_id, target_id, data from cmdb_relations
				where domain_id in (${ids(domains)}) and ${parentCol} = any(${idList(parentIds)})`
		);
		for (const r of rows) {
			const rel: RelLite = {
				id: Number(r.id),
				domainId: Number(r.domain_id),
				sourceId: Number(r.source_id),
				targetId: Number(r.target_id),
				data: r.data ?? {}
			};
			const parent = side === 'target' ? rel.sourceId : rel.targetId;
			let byDomain = out.get(parent);
			if (!byDomain) out.set(parent, (byDomain = new Map()));
			byDomain.set(rel.domainId, [...(byDomain.get(rel.domainId) ?? []), rel]);
		}
	}
	return out;
}

async function fetchCis(t: Db, idsWanted: number[]): Promise<Map<number, CiLite>> {
	const out = new Map<number, CiLite>();
	if (!idsWanted.length) return out;
	const rows = await queryRows<CiSqlRow>(
		t,
		sql`select ${CI_COLS} from cmdb_cis c where c.id = any(${idList(idsWanted)})`
	);
	for (const r of rows) out.set(Number(r.id), toCi(r));
	return out;
}

/** Shared children by identity across their whole class (the oldest CI wins if there are duplicates). */
async function fetchShared(t: Db, ch: Child, identities: string[]): Promise<Map<string, CiLite>> {
	const out = new Map<string, CiLite>();
	if (!identities.length) return out;
	const parts = ch.identify.map((a) => (a === 'name' ? sql`to_jsonb(c.name)` : sql`c.data->${a}`));
	const nameAt = ch.identify.indexOf('name');
	// With the name in the identify set, the (class, name) index narrows the search.
	const byName =
		nameAt >= 0
			? sql`and c.name = any(array(select jsonb_array_elements_text(${jsonArray([
					...new Set(identities.map((i) => String((JSON.parse(i) as unknown[])[nameAt])))
				])})))`
			: sql``;
	const rows = await queryRows<CiSqlRow & { ident: string }>(
		t,
		sql`select ${CI_COLS}, k.value as ident from cmdb_cis c
			join (select distinct value from jsonb_array_elements_text(${jsonArray(identities)})) k
				on jsonb_build_array(${sql.join(parts, sql`, `)}) = k.value::jsonb
			where c.class_id in (${ids(ch.cls.descendants)}) ${byName} order by c.id`
	);
	for (const r of rows) if (!out.has(r.ident)) out.set(r.ident, toCi(r));
	return out;
}

/** Everything that exists for these records: parents, their children's relations, the children, shared children. */
export async function readExisting(t: Db, R: Resolved, records: ChunkRecord[]): Promise<Existing> {
	const parents = await fetchParents(
		t,
		R,
		records.map((r) => r.p)
	);
	const rels = await fetchRelations(
		t,
		R.children,
		[...parents.values()].map((p) => p.id)
	);
	const childIds = new Set<number>();
	for (const byDomain of rels.values())
		for (const [domainId, list] of byDomain) {
			const ch = R.children.find((c) => c.domain.id === domainId)!;
			for (const r of list) childIds.add(ch.childSide === 'target' ? r.targetId : r.sourceId);
		}
	const childRows = await fetchCis(t, [...childIds]);
	const children = records.map((r) => {
		const parent = parents.get(r.p.keyStr);
		const byChild = new Map<Child, Map<string, { rel: RelLite; row: CiLite }>>();
		for (const ch of R.children) {
			const m = new Map<string, { rel: RelLite; row: CiLite }>();
			for (const rel of (parent && rels.get(parent.id)?.get(ch.domain.id)) || []) {
				const row = childRows.get(ch.childSide === 'target' ? rel.targetId : rel.sourceId)!;
				const id = identity(ch, row.name, row.data);
				// Two related children that look the same (entered by hand): the first matches, the other is gone.
				if (!m.has(id)) m.set(id, { rel, row });
				else m.set(`${id}#${rel.id}`, { rel, row });
			}
			byChild.set(ch, m);
		}
		return byChild;
	});
	const shared = new Map<Child, Map<string, CiLite>>();
	for (const ch of R.children.filter((c) => c.shared)) {
		const wanted = new Set<string>();
		records.forEach((r, i) => {
			for (const pc of r.byChild.get(ch) ?? [])
				if (!children[i].get(ch)!.has(pc.identity)) wanted.add(pc.identity);
		});
		shared.set(ch, await fetchShared(t, ch, [...wanted]));
	}
	return { parents, children, shared };
}
