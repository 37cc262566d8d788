// Relations written in bulk: new ones, changed values, removals, with their history. relate() and unrelate()
// write two history entries per relation (one on each CI); here a chunk's relation events of one kind make one
// entry per CI, listing its relations, so a first inventory of a computer with 300 packages writes one entry on
// the computer and one on each package (for all the chunk's computers that have it), not 600.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client';
import type { DomainDef } from '../model';
import { idList } from './read';
import type { AnyCi, Child, CiLite, Data, RelLite, Resolved } from './types';
import { BULK, ends, historyRow, insertHistory, nextIds, type HistoryRow } from './write';

/** A relation in an entry's list, seen from the entry's CI (the list names the domain and the label). */
export interface RelItem {
	id: number;
	otherId: number;
	otherName: string;
	/** Its values, when it has any: on the record's CI (relate, unrelate), on both (update). */
	data?: Data;
}
/** The relations of one domain in an entry: `changes[domain]` is [before, after], each one of these or null. */
export interface RelList {
	domainId: number;
	/** The relation read from the entry's CI: "has installed" or "is installed on". */
	label: string;
	relations: RelItem[];
}

/** One relation that began, ended or changed. */
interface RelEvent {
	d: DomainDef;
	id: number;
	source: AnyCi;
	target: AnyCi;
	/** The record's CI. */
	parent: AnyCi;
	/** The relation's values before and after (an update), or its values (relate, unrelate). */
	before?: Data;
	after?: Data;
}

/**
 * One history entry per CI for a chunk's relation events of one kind, its relations listed in `changes` by
 * domain: relate {Domain: [null, list]}, unrelate {Domain: [list, null]}, update {Domain: [list before, list
 * after]}; history.ts relationsIn reads them back (the CI as it was at a moment). Only a CI on both ends of
 * relations of one domain (two labels) gets a second entry.
 */
function relationHistory(
	R: Resolved,
	op: 'relate' | 'unrelate' | 'update',
	events: RelEvent[]
): HistoryRow[] {
	const entries = new Map<string, { ci: AnyCi; lists: Map<string, [RelList, RelList]> }>();
	const note = (ci: AnyCi, other: AnyCi, e: RelEvent, label: string) => {
		let key = String(ci.id);
		let lists = entries.get(key)?.lists.get(e.d.name);
		if (lists && lists[0].label !== label) {
			key += `#${label}`;
			lists = entries.get(key)?.lists.get(e.d.name);
		}
		if (!lists) {
			let entry = entries.get(key);
			if (!entry) entries.set(key, (entry = { ci, lists: new Map() }));
			const list = (): RelList => ({ domainId: e.d.id, label, relations: [] });
			entry.lists.set(e.d.name, (lists = [list(), list()]));
		}
		const withValues = op === 'update' || ci === e.parent;
		const item = (data: Data | undefined): RelItem => {
			const it: RelItem = { id: e.id, otherId: other.id, otherName: other.name };
			if (withValues && data && Object.keys(data).length) it.data = data;
			return it;
		};
		if (op !== 'relate') lists[0].relations.push(item(e.before));
		if (op !== 'unrelate') lists[1].relations.push(item(e.after));
	};
	for (const e of events) {
		note(e.source, e.target, e, e.d.forwardLabel);
		note(e.target, e.source, e, e.d.reverseLabel);
	}
	return [...entries.values()].map(({ ci, lists }) => {
		const changes: Record<string, [unknown, unknown]> = {};
		for (const [domain, [before, after]] of lists)
			changes[domain] = [op === 'relate' ? null : before, op === 'unrelate' ? null : after];
		return historyRow(R, ci, op, { state: false, changes });
	});
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
	const h = relationHistory(
		R,
		'unrelate',
		removes.map((x) => ({
			d: x.ch.domain,
			id: x.rel.id,
			...ends(x.ch, x.parent, x.child),
			parent: x.parent,
			before: x.rel.data
		}))
	);
	return removes.length + (await insertHistory(t, h));
}

/**
 * The relations' foreign keys checked at once, in one statement, instead of by a trigger per row (on PGlite
 * two thirds of the time a first inventory's relations take to insert). Only with a single connection
 * (write.ts singleConnection): on PostgreSQL other connections write meanwhile, and the triggers check.
 */
async function referencesExist(
	t: Db,
	rows: { domain_id: number; source_id: number; target_id: number }[]
): Promise<boolean> {
	if (!rows.length) return false;
	const cis = [...new Set(rows.flatMap((r) => [r.source_id, r.target_id]))];
	const domains = [...new Set(rows.map((r) => r.domain_id))];
	const [r] = await queryRows<{ ok: boolean }>(
		t,
		sql`select (select count(*) from cmdb_cis where id = any(${idList(cis)})) = ${cis.length}
			and (select count(*) from cmdb_domains where id = any(${idList(domains)})) = ${domains.length} as ok`
	);
	return r?.ok === true;
}

/** Creates relations (their CIs exist by now); returns the rows written. */
export async function insertRelations(
	t: Db,
	R: Resolved,
	adds: (RelEnd & { data: Data })[]
): Promise<number> {
	if (!adds.length) return 0;
	const relIds = await nextIds(t, R, 'cmdb_relations', adds.length);
	const relRows = adds.map((x, i) => {
		const e = ends(x.ch, x.parent, x.child);
		return {
			id: relIds[i],
			domain_id: x.ch.domain.id,
			source_id: e.source.id,
			target_id: e.target.id,
			data: x.data
		};
	});
	const checked = R.singleConnection && (await referencesExist(t, relRows));
	if (checked) await t.execute(sql`set local session_replication_role = replica`);
	for (let i = 0; i < relRows.length; i += BULK) {
		await t.execute(sql`
			insert into cmdb_relations (id, domain_id, source_id, target_id, data)
			select id, domain_id, source_id, target_id, data
			from json_to_recordset(${JSON.stringify(relRows.slice(i, i + BULK))}::json)
				as x(id int, domain_id int, source_id int, target_id int, data jsonb)`);
	}
	// On a failure the transaction rolls back, and the setting with it.
	if (checked) await t.execute(sql`set local session_replication_role = origin`);
	const h = relationHistory(
		R,
		'relate',
		adds.map((x, i) => ({
			d: x.ch.domain,
			id: relIds[i],
			...ends(x.ch, x.parent, x.child),
			parent: x.parent,
			after: x.data
		}))
	);
	return relRows.length + (await insertHistory(t, h));
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
		from json_to_recordset(${JSON.stringify(updates.map((u) => ({ id: u.rel.id, data: u.data })))}::json) as x(id int, data jsonb)
		where r.id = x.id`);
	const h = relationHistory(
		R,
		'update',
		updates.map((u) => ({
			d: u.ch.domain,
			id: u.rel.id,
			...ends(u.ch, u.parent, u.child),
			parent: u.parent,
			before: u.rel.data,
			after: u.data
		}))
	);
	return updates.length + (await insertHistory(t, h));
}
