// Configuration items: create, change, delete and read; every change versioned in cmdb_history
// (history.ts) with who, when, where from, what changed and the full state after it. Relations are in
// relations.ts, value checks in validation.ts.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import type { Actor } from '../audit/audit';
import { UserError } from '../errors';
import { ciInput, ciPatch, type ChangeSource, type CiInput, type CiPatch } from '../../lib/protocol/cmdb';
import { diffData, writeHistory } from './history';
import { loadModel, lockModel, type ClassDef, type Model } from './model';
import { relationsOf, removeRelation } from './relations';
import { needMessage, validateData, type Data } from './validation';

export type CiRow = typeof cmdbCis.$inferSelect;

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

function manualAfter(current: string[], changed: string[], ctx: ChangeContext): string[] {
	if (ctx.source === 'inventory' || ctx.source === 'system') return current;
	return [...new Set([...current, ...changed])];
}

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
