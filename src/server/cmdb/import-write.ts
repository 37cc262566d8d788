// Writes an import plan as createCi/updateCi would write each row (same columns, versions, manual marks,
// search words and history entries), in a few batched statements. See import.ts.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { cmdbCis, cmdbHistory } from '../db/schema';
import type { Actor } from '../audit/audit';
import { UserError } from '../errors';
import { searchText } from './cis';
import type { Write } from './import-plan';

const BATCH = 500;

/** Writes the planned rows as createCi/updateCi would (same columns, versions, history), in batches. */
export async function writeRows(t: Db, writes: Write[], actor: Actor): Promise<void> {
	const history: (typeof cmdbHistory.$inferInsert)[] = [];
	const entry = (
		w: Write,
		ci: { id: number; classId: number; version: number },
		op: string,
		changes: Record<string, [unknown, unknown]>
	) =>
		history.push({
			ciId: ci.id,
			classId: ci.classId,
			version: ci.version,
			op,
			actorId: actor.id,
			actorName: actor.name,
			source: 'csv',
			message: w.message,
			changes,
			state: { name: w.name, classId: ci.classId, data: w.data }
		});

	const inserts = writes.filter((w) => w.kind === 'insert');
	for (let i = 0; i < inserts.length; i += BATCH) {
		const batch = inserts.slice(i, i + BATCH);
		const created = await t
			.insert(cmdbCis)
			.values(
				batch.map((w) => ({
					classId: w.cls.id,
					name: w.name,
					data: w.data,
					manual: Object.keys(w.data),
					search: sql`to_tsvector('simple', ${searchText(w.cls, w.name, w.data)})`
				}))
			)
			.returning({ id: cmdbCis.id, classId: cmdbCis.classId, version: cmdbCis.version });
		// RETURNING gives rows in VALUES order for a single-statement INSERT in PostgreSQL.
		batch.forEach((w, n) => {
			const changes: Record<string, [unknown, unknown]> = { name: [null, w.name] };
			for (const [k, v] of Object.entries(w.data)) changes[k] = [null, v];
			entry(w, created[n], 'create', changes);
		});
	}

	const updates = writes.filter((w) => w.kind === 'update');
	const now = new Date();
	for (let i = 0; i < updates.length; i += BATCH) {
		const batch = updates.slice(i, i + BATCH).map((w) => ({
			id: w.cur.id,
			name: w.name,
			data: w.data,
			version: w.cur.version + 1,
			manual: [...new Set([...w.cur.manual, ...Object.keys(w.changes)])],
			text: searchText(w.cls, w.name, w.data)
		}));
		const done = await queryRows<{ id: number }>(
			t,
			sql`update cmdb_cis set name = v.name, data = v.data, version = v.version, manual = v.manual,
				updated_at = ${now.toISOString()}::timestamptz, search = to_tsvector('simple', v.text)
			from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
				as v(id int, name text, data jsonb, version int, manual jsonb, text text)
			where cmdb_cis.id = v.id and cmdb_cis.version = v.version - 1
			returning cmdb_cis.id`
		);
		if (done.length !== batch.length)
			throw new UserError(
				'CIs in this file were changed by someone else during the import; run it again.',
				'CONFLICT'
			);
	}
	for (const w of updates)
		entry(w, { id: w.cur.id, classId: w.cur.classId, version: w.cur.version + 1 }, 'update', w.changes);

	for (let i = 0; i < history.length; i += BATCH)
		await t.insert(cmdbHistory).values(history.slice(i, i + BATCH));
}
