// CIs of the spec's scope that a batch did not contain: flagged missing or deleted, after the batch.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client';
import { isEmptyValue } from '../../../lib/cmdb/values';
import { lockModel } from '../model';
import { CI_COLS, fetchRelations, ids, jsonArray, toCi, type CiSqlRow } from './read';
import type { ReconcileResult, ReconcileSpec, Resolved } from './types';
import { deleteWithCount, fieldErrors, flagMissing } from './write';

export async function missingParents(
	db: Db,
	R: Resolved,
	spec: ReconcileSpec,
	seen: Set<string>,
	out: ReconcileResult
) {
	const scope = spec.scope ?? 'batch';
	if (spec.missing === 'ignore' || scope === 'batch') return;
	await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		await lockModel(t);
		const where: SQL =
			scope === 'class'
				? sql`c.data ? ${R.key.name}`
				: sql`lower(c.data->>${R.key.name}) in (select lower(value) from jsonb_array_elements_text(${jsonArray(scope.keys.map(String))}))`;
		const rows = (
			await queryRows<CiSqlRow>(
				t,
				sql`select ${CI_COLS} from cmdb_cis c where c.class_id in (${ids(R.cls.descendants)}) and ${where} order by c.id`
			)
		).map(toCi);
		const gone = rows.filter(
			(r) => !isEmptyValue(r.data[R.key.name]) && !seen.has(String(r.data[R.key.name]).toLowerCase())
		);
		if (spec.missing === 'flag') {
			const n = await flagMissing(
				t,
				R,
				gone.filter((r) => !r.missingSince).map((r) => r.id)
			);
			out.missing += n;
			out.rowsWritten += 2 * n;
			return;
		}
		// Deleted: its own children (memory, disks) follow their policy; shared ones are only unrelated.
		const owned = R.children.filter((c) => !c.shared);
		const rels = await fetchRelations(
			t,
			owned,
			gone.map((g) => g.id)
		);
		for (const g of gone) {
			const key = String(g.data[R.key.name]);
			let rows = 0;
			let children = { deleted: 0, missing: 0 };
			try {
				await t.transaction(async (sp0) => {
					const sp = sp0 as unknown as Db;
					rows = 0;
					children = { deleted: 0, missing: 0 };
					const toFlag: number[] = [];
					for (const ch of owned)
						for (const rel of rels.get(g.id)?.get(ch.domain.id) ?? []) {
							const childId = ch.childSide === 'target' ? rel.targetId : rel.sourceId;
							if (ch.spec.missing === 'delete') {
								rows += await deleteWithCount(sp, R, childId);
								children.deleted++;
							} else toFlag.push(childId);
						}
					const n = await flagMissing(sp, R, toFlag);
					rows += 2 * n;
					children.missing += n;
					rows += await deleteWithCount(sp, R, g.id);
				});
			} catch (e) {
				out.errors.push(...fieldErrors(key, e));
				continue;
			}
			out.deleted++;
			out.rowsWritten += rows;
			out.children.deleted += children.deleted;
			out.children.missing += children.missing;
		}
	});
}
