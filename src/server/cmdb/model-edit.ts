// What every model edit shares: one transaction under the model lock, and counts of what the edit would touch.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis, cmdbRelations } from '../db/schema';
import { syncAttributeIndexes } from './attribute-indexes';
import { loadModel, lockModel, type Model } from './model';

/**
 * Runs a model edit in one transaction holding the model lock, with the model as it is inside it. Every
 * edit bumps the model version, so every node's cache notices.
 */
export async function editModel<T>(db: Db, fn: (t: Db, m: Model) => Promise<T>): Promise<T> {
	return db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		await lockModel(t);
		const result = await fn(t, await loadModel(t));
		await syncAttributeIndexes(t);
		await t.execute(sql`update cmdb_model_version set version = nextval('cmdb_model_version_seq')`);
		return result;
	});
}

/**
 * How many CIs of these classes, or relations of this domain, there are; with `withValue`, only those
 * that have a value for that attribute.
 */
export async function countItems(
	t: Db,
	of: { classIds: number[] } | { domainId: number },
	withValue?: string
): Promise<number> {
	const has = (data: typeof cmdbCis.data | typeof cmdbRelations.data) =>
		withValue === undefined ? undefined : sql`${data} ? ${withValue}`;
	if ('classIds' in of) {
		if (!of.classIds.length) return 0;
		const [{ n }] = await t
			.select({ n: sql<number>`count(*)::int` })
			.from(cmdbCis)
			.where(and(sql`${cmdbCis.classId} in (${sql.join(of.classIds, sql`, `)})`, has(cmdbCis.data)));
		return n;
	}
	const [{ n }] = await t
		.select({ n: sql<number>`count(*)::int` })
		.from(cmdbRelations)
		.where(and(eq(cmdbRelations.domainId, of.domainId), has(cmdbRelations.data)));
	return n;
}
