// Configuration items and relations: create, change, delete, relate; every change versioned in
// cmdb_history with who, when, where from, what changed and the full state after it.
import { and, asc, desc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { cmdbCis, cmdbHistory, cmdbRelations } from '../db/schema';
import type { Actor } from '../audit/audit';
import { UserError } from '../errors';
import {
	ciInput,
	ciPatch,
	relateInput,
	type ChangeSource,
	type CiInput,
	type CiPatch,
	type RelateInput
} from '../../lib/protocol/cmdb';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';
import { loadModel, lockModel, type AttrDef, type ClassDef, type DomainDef, type Model } from './model';

export type CiRow = typeof cmdbCis.$inferSelect;
export type Data = Record<string, unknown>;

/** A batch of field errors, so a form or CSV row can show all of them at once. */
export class ValidationError extends UserError {
	constructor(readonly fields: { field: string; message: string }[]) {
		super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
	}
}

export interface ChangeContext {
	actor: Actor;
	source: ChangeSource;
	message?: string;
}

function tx<T>(db: Db, fn: (t: Db) => Promise<T>): Promise<T> {
	return db.transaction(async (t) => fn(t as unknown as Db));
}

/** The words full-text search finds a CI by: its name and its text-like values. */
export function searchText(c: ClassDef, name: string, data: Data): string {
	const parts = [name];
	for (const a of c.attributes) {
		const v = data[a.name];
		if (v === null || v === undefined) continue;
		if (['text', 'longtext', 'enum', 'ip', 'mac'].includes(a.type)) parts.push(String(v).slice(0, 10_000));
	}
	return parts.join(' ');
}

/**
 * Checks and normalises `input` for class `c`. With `base` (an update) only the given fields change.
 * Returns the complete data, or throws a ValidationError naming every bad field.
 */
export async function validateData(
	t: Db,
	m: Model,
	c: ClassDef,
	input: Data,
	opts: { base?: Data; selfId?: number; applyDefaults?: boolean } = {}
): Promise<Data> {
	const errors: { field: string; message: string }[] = [];
	const data: Data = { ...(opts.base ?? {}) };
	for (const [key, raw] of Object.entries(input)) {
		const a = m.attr(c, key);
		if (!a) {
			errors.push({ field: key, message: `${c.name} has no attribute "${key}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: a.name, message: r.error });
		else if (r.value === null) delete data[a.name];
		else data[a.name] = r.value;
	}
	for (const a of c.attributes) {
		if (
			opts.applyDefaults &&
			data[a.name] === undefined &&
			a.defaultValue !== null &&
			a.defaultValue !== undefined
		)
			data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]) && !errors.some((e) => e.field === a.name))
			errors.push({ field: a.name, message: 'is required' });
	}
	if (errors.length) throw new ValidationError(errors);
	await checkReferences(t, m, c.attributes, data, errors);
	await checkUnique(t, m, c, data, opts.selfId, errors);
	if (errors.length) throw new ValidationError(errors);
	return data;
}

async function checkReferences(
	t: Db,
	m: Model,
	attrs: AttrDef[],
	data: Data,
	errors: { field: string; message: string }[]
) {
	const refs = attrs.filter((a) => a.type === 'reference' && typeof data[a.name] === 'number');
	if (!refs.length) return;
	const ids = refs.map((a) => data[a.name] as number);
	const rows = await t
		.select({ id: cmdbCis.id, classId: cmdbCis.classId })
		.from(cmdbCis)
		.where(inArray(cmdbCis.id, ids));
	for (const a of refs) {
		const row = rows.find((r) => r.id === data[a.name]);
		const want = a.refClassId ? m.classes.get(a.refClassId) : undefined;
		if (!row) errors.push({ field: a.name, message: `refers to CI #${data[a.name]}, which does not exist` });
		else if (want && !m.isA(row.classId, want.id))
			errors.push({
				field: a.name,
				message: `must refer to a ${want.name}; CI #${row.id} is a ${m.classes.get(row.classId)?.name}`
			});
	}
}

async function checkUnique(
	t: Db,
	m: Model,
	c: ClassDef,
	data: Data,
	selfId: number | undefined,
	errors: { field: string; message: string }[]
) {
	for (const a of c.attributes) {
		if (!a.unique || isEmptyValue(data[a.name])) continue;
		// Unique across the class that defines the attribute and all its subclasses.
		const scope = a.classId ? m.classById(a.classId).descendants : c.descendants;
		const [hit] = await t
			.select({ id: cmdbCis.id, name: cmdbCis.name })
			.from(cmdbCis)
			.where(
				and(
					inArray(cmdbCis.classId, scope),
					sql`lower(${cmdbCis.data}->>${a.name}) = lower(${String(data[a.name])})`,
					selfId ? sql`${cmdbCis.id} <> ${selfId}` : undefined
				)
			)
			.limit(1);
		if (hit)
			errors.push({
				field: a.name,
				message: `must be unique; "${data[a.name]}" is already used by ${hit.name} (#${hit.id})`
			});
	}
}

function diffData(before: Data, after: Data): Record<string, [unknown, unknown]> {
	const changes: Record<string, [unknown, unknown]> = {};
	for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
		const b = before[k] ?? null;
		const a = after[k] ?? null;
		if (JSON.stringify(b) !== JSON.stringify(a)) changes[k] = [b, a];
	}
	return changes;
}

function needMessage(c: ClassDef, ctx: ChangeContext) {
	if (c.requireChangeMessage && ['user', 'api', 'csv'].includes(ctx.source) && !ctx.message?.trim())
		throw new ValidationError([{ field: 'message', message: `changes to ${c.name} need a change message` }]);
}

async function writeHistory(
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

function manualAfter(current: string[], changed: string[], ctx: ChangeContext): string[] {
	if (ctx.source === 'inventory' || ctx.source === 'system') return current;
	return [...new Set([...current, ...changed])];
}

// ---------------------------------------------------------------- CIs

export async function createCi(db: Db, ctx: ChangeContext, input: CiInput, model?: Model): Promise<CiRow> {
	const v = ciInput.parse(input);
	return tx(db, async (t) => {
		const m = model ?? (await loadModel(t));
		const c = m.cls(v.class);
		if (c.abstract)
			throw new UserError(`${c.name} is abstract; create a CI of one of its subclasses instead.`);
		needMessage(c, { ...ctx, message: v.message ?? ctx.message });
		await lockModel(t);
		const data = await validateData(t, m, c, v.data, { applyDefaults: true });
		const [row] = await t
			.insert(cmdbCis)
			.values({
				classId: c.id,
				name: v.name,
				data,
				manual: manualAfter([], Object.keys(data), ctx),
				search: sql`to_tsvector('simple', ${searchText(c, v.name, data)})`
			})
			.returning();
		const changes: Record<string, [unknown, unknown]> = { name: [null, v.name] };
		for (const [k, val] of Object.entries(data)) changes[k] = [null, val];
		await writeHistory(t, { ...ctx, message: v.message ?? ctx.message }, { ci: row, op: 'create', changes });
		return row;
	});
}

export async function getCiRow(db: Db, id: number): Promise<CiRow> {
	const [row] = await db.select().from(cmdbCis).where(eq(cmdbCis.id, id));
	if (!row) throw new UserError(`There is no CI #${id}.`, 'NOT_FOUND');
	return row;
}

/**
 * Changes a CI. Only the fields given change; a value of null or '' clears a field. An update that changes
 * nothing writes nothing. Returns the CI and whether anything changed.
 */
export async function updateCi(
	db: Db,
	ctx: ChangeContext,
	patch: CiPatch,
	opts: { model?: Model; respectManual?: boolean } = {}
): Promise<{ ci: CiRow; changed: boolean }> {
	const v = ciPatch.parse(patch);
	return tx(db, async (t) => {
		const m = opts.model ?? (await loadModel(t));
		const [cur] = await t.select().from(cmdbCis).where(eq(cmdbCis.id, v.id)).for('update');
		if (!cur) throw new UserError(`There is no CI #${v.id}.`, 'NOT_FOUND');
		if (v.expectedVersion && v.expectedVersion !== cur.version)
			throw new UserError(
				`${cur.name} was changed by someone else (now at version ${cur.version}, you edited version ${v.expectedVersion}). Reload it and apply your change again.`,
				'CONFLICT'
			);
		const c = m.classById(cur.classId);
		let input = v.data;
		if (opts.respectManual) {
			// Inventory does not overwrite what an operator set by hand, unless the attribute allows it.
			input = Object.fromEntries(
				Object.entries(v.data).filter(([k]) => {
					const a = m.attr(c, k);
					return !(a && a.manualPolicy === 'protect' && cur.manual.includes(a.name));
				})
			);
		}
		const name = v.name ?? cur.name;
		await lockModel(t);
		const data = await validateData(t, m, c, input, { base: cur.data, selfId: cur.id });
		const changes = diffData(cur.data, data);
		if (name !== cur.name) changes.name = [cur.name, name];
		const wasMissing = cur.missingSince !== null && ctx.source === 'inventory';
		if (!Object.keys(changes).length && !wasMissing) return { ci: cur, changed: false };
		needMessage(c, { ...ctx, message: v.message ?? ctx.message });
		const version = cur.version + 1;
		const [row] = await t
			.update(cmdbCis)
			.set({
				name,
				data,
				version,
				updatedAt: new Date(),
				manual: manualAfter(cur.manual, Object.keys(changes), ctx),
				missingSince: ctx.source === 'inventory' ? null : cur.missingSince,
				search: sql`to_tsvector('simple', ${searchText(c, name, data)})`
			})
			.where(eq(cmdbCis.id, cur.id))
			.returning();
		await writeHistory(
			t,
			{ ...ctx, message: v.message ?? ctx.message },
			{
				ci: row,
				op: wasMissing && !Object.keys(changes).length ? 'found' : 'update',
				changes
			}
		);
		return { ci: row, changed: true };
	});
}

export async function deleteCi(db: Db, ctx: ChangeContext, id: number): Promise<void> {
	await tx(db, async (t) => {
		const m = await loadModel(t);
		const [cur] = await t.select().from(cmdbCis).where(eq(cmdbCis.id, id)).for('update');
		if (!cur) throw new UserError(`There is no CI #${id}.`, 'NOT_FOUND');
		const c = m.classById(cur.classId);
		needMessage(c, ctx);
		// Who refers to it by a reference attribute? Those values would dangle.
		const refAttrs = [...m.classes.values()].flatMap((k) =>
			k.attributes.filter(
				(a) =>
					a.type === 'reference' && a.classId === k.id && a.refClassId && m.isA(cur.classId, a.refClassId)
			)
		);
		for (const a of refAttrs) {
			const [hit] = await t
				.select({ id: cmdbCis.id, name: cmdbCis.name })
				.from(cmdbCis)
				.where(sql`${cmdbCis.data}->>${a.name} = ${String(id)}`)
				.limit(1);
			if (hit)
				throw new UserError(
					`${cur.name} can't be deleted: ${hit.name} (#${hit.id}) refers to it in ${a.name}. Change that first.`,
					'CONFLICT'
				);
		}
		const rels = await relationsOf(t, m, id);
		for (const r of rels) await removeRelation(t, m, ctx, r.id);
		await t.delete(cmdbCis).where(eq(cmdbCis.id, id));
		const changes: Record<string, [unknown, unknown]> = { name: [cur.name, null] };
		for (const [k, val] of Object.entries(cur.data)) changes[k] = [val, null];
		await writeHistory(t, ctx, {
			ci: { ...cur, version: cur.version + 1 },
			op: 'delete',
			changes,
			state: false
		});
	});
}

// ---------------------------------------------------------------- relations

export interface RelationView {
	id: number;
	domainId: number;
	domain: string;
	/** The label read from this CI's side: "contains" or "is contained in". */
	label: string;
	side: 'source' | 'target';
	other: { id: number; name: string; class: string };
	data: Data;
	createdAt: Date;
}

export async function relationsOf(t: Db, m: Model, ciId: number): Promise<RelationView[]> {
	const rows = await t
		.select({
			r: cmdbRelations,
			otherId: sql<number>`case when ${cmdbRelations.sourceId} = ${ciId} then ${cmdbRelations.targetId} else ${cmdbRelations.sourceId} end`,
			otherName: cmdbCis.name,
			otherClass: cmdbCis.classId
		})
		.from(cmdbRelations)
		.innerJoin(
			cmdbCis,
			sql`${cmdbCis.id} = case when ${cmdbRelations.sourceId} = ${ciId} then ${cmdbRelations.targetId} else ${cmdbRelations.sourceId} end`
		)
		.where(or(eq(cmdbRelations.sourceId, ciId), eq(cmdbRelations.targetId, ciId)))
		.orderBy(asc(cmdbRelations.domainId), asc(cmdbCis.name));
	return rows.map(({ r, otherId, otherName, otherClass }) => {
		const d = m.domains.get(r.domainId)!;
		const side = r.sourceId === ciId ? 'source' : 'target';
		return {
			id: r.id,
			domainId: d.id,
			domain: d.name,
			label: side === 'source' ? d.forwardLabel : d.reverseLabel,
			side,
			other: { id: Number(otherId), name: otherName, class: m.classes.get(otherClass)?.name ?? '?' },
			data: r.data,
			createdAt: r.createdAt
		};
	});
}

async function containmentCycle(t: Db, m: Model, sourceId: number, targetId: number): Promise<boolean> {
	// Adding "source contains target" closes a cycle if source is already (transitively) inside target.
	const containment = [...m.domains.values()].filter((d) => d.containment).map((d) => d.id);
	if (!containment.length) return false;
	const hits = await queryRows<{ hit: number }>(
		t,
		sql`
		with recursive up(id, depth) as (
			select ${sourceId}::int, 0
			union
			select r.source_id, up.depth + 1 from cmdb_relations r join up on r.target_id = up.id
			where r.domain_id in (${sql.join(containment, sql`, `)}) and up.depth < 100
		)
		select 1 as hit from up where id = ${targetId} limit 1`
	);
	return hits.length > 0;
}

function relationData(m: Model, d: DomainDef, input: Data): Data {
	const errors: { field: string; message: string }[] = [];
	const data: Data = {};
	for (const [k, raw] of Object.entries(input)) {
		const a = d.attributes.find((x) => x.name.toLowerCase() === k.toLowerCase());
		if (!a) {
			errors.push({ field: k, message: `${d.name} relations have no attribute "${k}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: a.name, message: r.error });
		else if (r.value !== null) data[a.name] = r.value;
	}
	for (const a of d.attributes) {
		if (data[a.name] === undefined && a.defaultValue != null) data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]) && !errors.some((e) => e.field === a.name))
			errors.push({ field: a.name, message: 'is required' });
	}
	void m;
	if (errors.length) throw new ValidationError(errors);
	return data;
}

export async function relate(db: Db, ctx: ChangeContext, input: RelateInput, model?: Model): Promise<number> {
	const v = relateInput.parse(input);
	return tx(db, async (t) => {
		const m = model ?? (await loadModel(t));
		const d = m.domain(v.domain);
		await lockModel(t);
		const cis = await t
			.select()
			.from(cmdbCis)
			.where(inArray(cmdbCis.id, [v.sourceId, v.targetId]));
		const source = cis.find((c) => c.id === v.sourceId);
		const target = cis.find((c) => c.id === v.targetId);
		if (!source) throw new UserError(`There is no CI #${v.sourceId}.`, 'NOT_FOUND');
		if (!target) throw new UserError(`There is no CI #${v.targetId}.`, 'NOT_FOUND');
		if (source.id === target.id) throw new UserError(`A CI can't be related to itself.`);
		const sc = m.classById(d.sourceClassId);
		const tc = m.classById(d.targetClassId);
		if (!m.isA(source.classId, sc.id))
			throw new UserError(
				`${d.name} goes from a ${sc.name}; ${source.name} is a ${m.classById(source.classId).name}.`
			);
		if (!m.isA(target.classId, tc.id))
			throw new UserError(
				`${d.name} goes to a ${tc.name}; ${target.name} is a ${m.classById(target.classId).name}.`
			);
		const data = relationData(m, d, v.data);
		const [dup] = await t
			.select({ id: cmdbRelations.id })
			.from(cmdbRelations)
			.where(
				and(
					eq(cmdbRelations.domainId, d.id),
					eq(cmdbRelations.sourceId, source.id),
					eq(cmdbRelations.targetId, target.id)
				)
			);
		if (dup) throw new UserError(`${source.name} ${d.forwardLabel} ${target.name} already.`, 'CONFLICT');
		if (d.cardinality !== 'N:N') {
			const [other] = await t
				.select({ id: cmdbRelations.id, sourceId: cmdbRelations.sourceId, name: cmdbCis.name })
				.from(cmdbRelations)
				.innerJoin(cmdbCis, eq(cmdbCis.id, cmdbRelations.sourceId))
				.where(and(eq(cmdbRelations.domainId, d.id), eq(cmdbRelations.targetId, target.id)))
				.limit(1);
			if (other)
				throw new UserError(
					`${target.name} ${d.reverseLabel} ${other.name} already, and ${d.name} is ${d.cardinality}: it can only have one. Remove that relation first.`,
					'CONFLICT'
				);
		}
		if (d.cardinality === '1:1') {
			const [other] = await t
				.select({ id: cmdbRelations.id, name: cmdbCis.name })
				.from(cmdbRelations)
				.innerJoin(cmdbCis, eq(cmdbCis.id, cmdbRelations.targetId))
				.where(and(eq(cmdbRelations.domainId, d.id), eq(cmdbRelations.sourceId, source.id)))
				.limit(1);
			if (other)
				throw new UserError(
					`${source.name} ${d.forwardLabel} ${other.name} already, and ${d.name} is 1:1. Remove that relation first.`,
					'CONFLICT'
				);
		}
		if (d.containment && (await containmentCycle(t, m, source.id, target.id)))
			throw new UserError(
				`${source.name} is itself inside ${target.name}; relating them this way would make a containment cycle.`,
				'CONFLICT'
			);
		const [row] = await t
			.insert(cmdbRelations)
			.values({ domainId: d.id, sourceId: source.id, targetId: target.id, data })
			.returning();
		const c = { ...ctx, message: v.message ?? ctx.message };
		await writeHistory(t, c, {
			ci: source,
			op: 'relate',
			state: false,
			relation: {
				id: row.id,
				domainId: d.id,
				domain: d.name,
				label: d.forwardLabel,
				otherId: target.id,
				otherName: target.name
			},
			changes: Object.keys(data).length ? { [`${d.name}→${target.name}`]: [null, data] } : {}
		});
		await writeHistory(t, c, {
			ci: target,
			op: 'relate',
			state: false,
			relation: {
				id: row.id,
				domainId: d.id,
				domain: d.name,
				label: d.reverseLabel,
				otherId: source.id,
				otherName: source.name
			}
		});
		return row.id;
	});
}

async function removeRelation(t: Db, m: Model, ctx: ChangeContext, id: number): Promise<void> {
	const [r] = await t.select().from(cmdbRelations).where(eq(cmdbRelations.id, id));
	if (!r) throw new UserError(`There is no relation #${id}.`, 'NOT_FOUND');
	const d = m.domains.get(r.domainId)!;
	const cis = await t
		.select()
		.from(cmdbCis)
		.where(inArray(cmdbCis.id, [r.sourceId, r.targetId]));
	const source = cis.find((c) => c.id === r.sourceId)!;
	const target = cis.find((c) => c.id === r.targetId)!;
	await t.delete(cmdbRelations).where(eq(cmdbRelations.id, id));
	await writeHistory(t, ctx, {
		ci: source,
		op: 'unrelate',
		state: false,
		relation: {
			id,
			domainId: d.id,
			domain: d.name,
			label: d.forwardLabel,
			otherId: target.id,
			otherName: target.name
		}
	});
	await writeHistory(t, ctx, {
		ci: target,
		op: 'unrelate',
		state: false,
		relation: {
			id,
			domainId: d.id,
			domain: d.name,
			label: d.reverseLabel,
			otherId: source.id,
			otherName: source.name
		}
	});
}

export async function unrelate(db: Db, ctx: ChangeContext, id: number): Promise<void> {
	await tx(db, async (t) => {
		const m = await loadModel(t);
		await removeRelation(t, m, ctx, id);
	});
}

// ---------------------------------------------------------------- reading

export async function ciView(db: Db, id: number, model?: Model) {
	const m = model ?? (await loadModel(db));
	const row = await getCiRow(db, id);
	const c = m.classById(row.classId);
	return {
		id: row.id,
		class: c.name,
		classLabel: c.label,
		lineage: c.lineage.map((x) => m.classById(x).name),
		name: row.name,
		data: row.data,
		manual: row.manual,
		missingSince: row.missingSince,
		version: row.version,
		createdAt: row.createdAt,
		updatedAt: row.updatedAt,
		relations: await relationsOf(db, m, id)
	};
}
export type CiView = Awaited<ReturnType<typeof ciView>>;

export async function history(db: Db, ciId: number, limit = 500) {
	return db
		.select()
		.from(cmdbHistory)
		.where(eq(cmdbHistory.ciId, ciId))
		.orderBy(desc(cmdbHistory.id))
		.limit(limit);
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
		if (e.relation && e.op === 'relate') relations.set(e.relation.id, e.relation);
		if (e.relation && e.op === 'unrelate') relations.delete(e.relation.id);
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
