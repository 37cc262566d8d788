// CI history: every change is one entry with who, when, where from, what changed and the full state after
// it, so any CI can be shown as it was at a moment or a version, and two versions compared.
import { and, asc, desc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbHistory } from '../db/schema';
import { UserError } from '../errors';
import type { ChangeContext, CiRow } from './cis';
import { loadModel } from './model';
import type { Data } from './validation';

/** {field: [before, after]} for every field whose value differs. */
export function diffData(before: Data, after: Data): Record<string, [unknown, unknown]> {
	const changes: Record<string, [unknown, unknown]> = {};
	for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
		const b = before[k] ?? null;
		const a = after[k] ?? null;
		if (JSON.stringify(b) !== JSON.stringify(a)) changes[k] = [b, a];
	}
	return changes;
}

/** Appends one history entry for `e.ci`, by the actor and source of `ctx`. */
export async function writeHistory(
	t: Db,
	ctx: ChangeContext,
	e: {
		ci: Pick<CiRow, 'id' | 'classId' | 'version' | 'name' | 'data'>;
		op: string;
		changes?: Record<string, [unknown, unknown]>;
		state?: boolean;
		relation?: typeof cmdbHistory.$inferInsert.relation;
	}
) {
	await t.insert(cmdbHistory).values({
		ciId: e.ci.id,
		classId: e.ci.classId,
		version: e.ci.version,
		op: e.op,
		actorId: ctx.actor.id,
		actorName: ctx.actor.name,
		source: ctx.source,
		message: ctx.message?.trim() ?? '',
		changes: e.changes ?? {},
		state: e.state === false ? null : { name: e.ci.name, classId: e.ci.classId, data: e.ci.data },
		relation: e.relation ?? null
	});
}

export async function history(db: Db, ciId: number, limit = 500) {
	return db
		.select()
		.from(cmdbHistory)
		.where(eq(cmdbHistory.ciId, ciId))
		.orderBy(desc(cmdbHistory.id))
		.limit(limit);
}

type HistoryRelation = NonNullable<typeof cmdbHistory.$inferSelect.relation>;

/**
 * The relations a relate or unrelate entry names: its `relation` (relate() and unrelate() write one entry per
 * relation), or the lists in its `changes` (reconciliation writes one entry per CI: {Domain: [null, {domainId,
 * label, relations}]} for relations it made, {Domain: [{…}, null]} for relations it removed).
 */
export function relationsIn(
	e: Pick<typeof cmdbHistory.$inferSelect, 'op' | 'relation' | 'changes'>
): HistoryRelation[] {
	if (e.relation) return [e.relation];
	const out: HistoryRelation[] = [];
	for (const [domain, [before, after]] of Object.entries(e.changes ?? {})) {
		const list = (e.op === 'relate' ? after : before) as {
			domainId?: unknown;
			label?: unknown;
			relations?: { id?: unknown; otherId?: unknown; otherName?: unknown }[];
		} | null;
		if (!list || !Array.isArray(list.relations)) continue;
		for (const r of list.relations)
			if (typeof r?.id === 'number' && typeof r.otherId === 'number')
				out.push({
					id: r.id,
					domainId: Number(list.domainId),
					domain,
					label: String(list.label),
					otherId: r.otherId,
					otherName: String(r.otherName)
				});
	}
	return out;
}

/** The CI as it was at a moment (or at a version): attributes and relations. */
export async function ciAt(db: Db, ciId: number, at: { time?: Date; version?: number }) {
	const m = await loadModel(db);
	const cond = at.version
		? and(eq(cmdbHistory.ciId, ciId), lte(cmdbHistory.version, at.version))
		: and(
				eq(cmdbHistory.ciId, ciId),
				// JavaScript times have milliseconds, PostgreSQL microseconds: compare at the coarser one.
				sql`date_trunc('milliseconds', ${cmdbHistory.at}) <= ${(at.time ?? new Date()).toISOString()}::timestamptz`
			);
	const entries = await db.select().from(cmdbHistory).where(cond).orderBy(asc(cmdbHistory.id));
	if (!entries.length) throw new UserError(`CI #${ciId} did not exist then.`, 'NOT_FOUND');
	let state: { name: string; classId: number; data: Data } | null = null;
	let version = 0;
	let at2 = entries[0].at;
	const relations = new Map<number, NonNullable<(typeof entries)[number]['relation']>>();
	for (const e of entries) {
		if (e.op === 'delete') state = null;
		else if (e.state) {
			state = e.state;
			version = e.version;
		}
		if (e.op === 'relate') for (const r of relationsIn(e)) relations.set(r.id, r);
		if (e.op === 'unrelate') for (const r of relationsIn(e)) relations.delete(r.id);
		at2 = e.at;
	}
	if (!state) throw new UserError(`CI #${ciId} was deleted by then.`, 'NOT_FOUND');
	const c = m.classes.get(state.classId);
	return {
		id: ciId,
		class: c?.name ?? '?',
		name: state.name,
		data: state.data,
		version,
		asOf: at2,
		relations: [...relations.values()]
	};
}

/** What changed between two versions of a CI: {field: [in v1, in v2]}. */
export async function diffVersions(db: Db, ciId: number, v1: number, v2: number) {
	const [a, b] = await Promise.all([ciAt(db, ciId, { version: v1 }), ciAt(db, ciId, { version: v2 })]);
	const changes = diffData(a.data, b.data);
	if (a.name !== b.name) changes.name = [a.name, b.name];
	return { from: a.version, to: b.version, changes };
}
