// Relations between CIs: checked against their domain (classes, cardinality, containment cycles) and
// recorded in the history of both CIs.
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { cmdbCis, cmdbRelations } from '../db/schema';
import { UserError } from '../errors';
import { relateInput, type RelateInput } from '../../lib/protocol/cmdb';
import type { ChangeContext } from './cis';
import { writeHistory } from './history';
import { loadModel, lockModel, type Model } from './model';
import { relationData, type Data } from './validation';

function tx<T>(db: Db, fn: (t: Db) => Promise<T>): Promise<T> {
	return db.transaction(async (t) => fn(t as unknown as Db));
}

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
		const data = relationData(d, v.data);
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

/** Removes a relation inside the caller's transaction (deleting a CI removes all of its relations). */
export async function removeRelation(t: Db, m: Model, ctx: ChangeContext, id: number): Promise<void> {
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
