// One chunk of records in one transaction: read what exists, compare, then write only the differences.
import type { Db } from '../../db/client';
import { isEmptyValue } from '../../../lib/cmdb/values';
import { updateCi, type CiRow } from '../cis';
import { lockModel } from '../model';
import { relate } from '../relations';
import { validateData, ValidationError } from '../validation';
import { planChunk, prepareChildren } from './plan';
import { readExisting } from './read';
import type {
	ChildCounts,
	CiLite,
	Data,
	Errors,
	NewCi,
	Plan,
	Prep,
	ReconcileError,
	ReconcileResult,
	Resolved
} from './types';
import { deleteWithCount, ends, fieldErrors, flagMissing, insertCis, markFound, nextIds } from './write';
import { deleteRelations, insertRelations, updateRelations } from './write-relations';

/** Nothing done yet. */
export function emptyResult(): ReconcileResult {
	return {
		inserted: 0,
		updated: 0,
		unchanged: 0,
		found: 0,
		missing: 0,
		deleted: 0,
		children: {
			inserted: 0,
			updated: 0,
			unchanged: 0,
			found: 0,
			missing: 0,
			deleted: 0,
			related: 0,
			unrelated: 0,
			relationsUpdated: 0
		},
		rowsWritten: 0,
		errors: []
	};
}

/** Adds what a chunk (or missing detection) did to the batch's result. */
export function merge(into: ReconcileResult, part: ReconcileResult) {
	for (const k of ['inserted', 'updated', 'unchanged', 'found', 'missing', 'deleted', 'rowsWritten'] as const)
		into[k] += part[k];
	for (const k of Object.keys(into.children) as (keyof ChildCounts)[]) into.children[k] += part.children[k];
	into.errors.push(...part.errors);
}

/** Applies one chunk of records inside transaction `t`, holding the CMDB write lock until it commits. */
export async function applyChunk(t: Db, R: Resolved, preps: Prep[]): Promise<ReconcileResult> {
	await lockModel(t);
	const out = emptyResult();
	const records = preps.map((p) => {
		const errors: ReconcileError[] = [];
		return { p, errors, ...prepareChildren(R, p.rec, errors) };
	});
	const existing = await readExisting(t, R, records);
	const plans = planChunk(R, records, existing, out.errors);

	// 1. New CIs: checks that need the database (unique values, references), also against each other.
	const uniq = new Set<string>();
	// A new parent's key value was just looked for in its class (readExisting, ignoring case, under the lock).
	// When that class is the key's whole uniqueness scope, validateData need not look again: on PGlite that
	// look is a scan of the class for every new CI.
	const keyScope = R.key.classId ? R.m.classById(R.key.classId).descendants : R.cls.descendants;
	const keyLooked = !R.key.required && keyScope.every((id) => R.cls.descendants.includes(id));
	const checkNew = async (n: NewCi, parent = false): Promise<Errors> => {
		const errs: Errors = [];
		const keys: string[] = [];
		for (const a of n.cls.attributes) {
			if (!a.unique || isEmptyValue(n.data[a.name])) continue;
			const k = `${a.id}:${String(n.data[a.name]).toLowerCase()}`;
			if (uniq.has(k))
				errs.push({
					field: a.name,
					message: `must be unique; "${n.data[a.name]}" is given twice in this batch`
				});
			keys.push(k);
		}
		const needsDb = n.cls.attributes.some(
			(a) => (a.unique || a.type === 'reference') && !isEmptyValue(n.data[a.name])
		);
		if (!errs.length && needsDb) {
			try {
				const skip = parent && keyLooked && n.data[R.key.name] !== undefined ? R.key.name : null;
				const input = { ...n.data };
				if (skip) delete input[skip];
				const data = await validateData(t, R.m, n.cls, input, { applyDefaults: true });
				n.data = skip ? { ...data, [skip]: n.data[skip] } : data;
			} catch (e) {
				if (!(e instanceof ValidationError)) throw e;
				errs.push(...e.fields);
			}
		}
		if (!errs.length) for (const k of keys) uniq.add(k);
		return errs;
	};
	const parentCreates: NewCi[] = [];
	for (const plan of plans) {
		if (!('isNew' in plan.parent)) continue;
		const errs = await checkNew(plan.parent, true);
		if (errs.length) {
			plan.dropped = true;
			plan.errors.push(...errs.map((e) => ({ key: plan.prep.rec.key, ...e })));
		} else parentCreates.push(plan.parent);
	}

	// 2. Changes to existing CIs, through updateCi; each record's in a savepoint so a refusal drops only it.
	for (const plan of plans) {
		if (plan.dropped) continue;
		if (!plan.parentPatch && !plan.parentFound && !plan.childUpdates.length) continue;
		const done: { row: CiLite; after: CiLite; changed: boolean; found: boolean; parent: boolean }[] = [];
		let rows = 0;
		try {
			await t.transaction(async (sp0) => {
				const sp = sp0 as unknown as Db;
				const apply = async (
					row: CiLite,
					patch: { name?: string; data: Data } | null,
					wasMissing: boolean,
					parent: boolean,
					field?: string
				) => {
					let after: CiLite | CiRow = row;
					let changed = false;
					try {
						const r = await updateCi(
							sp,
							R.ctx,
							{ id: row.id, name: patch?.name, data: patch?.data ?? {} },
							{ model: R.m, respectManual: R.respectManual }
						);
						after = r.ci;
						changed = r.changed;
						if (changed) rows += 2;
						if (after.missingSince) {
							after = await markFound(sp, R, row.id);
							rows += 2;
						}
					} catch (e) {
						throw field ? Object.assign(e as Error, { field }) : e;
					}
					done.push({ row, after, changed: changed || wasMissing, found: wasMissing, parent });
				};
				if (plan.parentPatch || plan.parentFound)
					await apply(plan.parent as CiLite, plan.parentPatch, plan.parentFound, true);
				for (const u of plan.childUpdates) await apply(u.row, u.patch, u.found, false, u.field);
			});
		} catch (e) {
			const prefix = (e as { field?: string }).field;
			plan.dropped = true;
			plan.errors.push(...fieldErrors(plan.prep.rec.key, e, prefix ? `${prefix}.` : ''));
			continue;
		}
		out.rowsWritten += rows;
		for (const d of done) {
			Object.assign(d.row, {
				name: d.after.name,
				data: d.after.data,
				version: d.after.version,
				missingSince: d.after.missingSince,
				manual: d.after.manual
			});
			if (!d.changed) continue;
			plan.wrote = true;
			if (d.parent) continue;
			if (d.found) out.children.found++;
			else out.children.updated++;
		}
	}

	// 3. New children, checked the same way.
	const checked = new Map<NewCi, Errors>();
	const childCreates: NewCi[] = [];
	for (const plan of plans.filter((p) => !p.dropped)) {
		const keep: Plan['relAdds'] = [];
		for (const add of plan.relAdds) {
			if (!('isNew' in add.child)) {
				keep.push(add);
				continue;
			}
			const n = add.child;
			let errs = checked.get(n);
			if (!errs) {
				errs = await checkNew(n);
				checked.set(n, errs);
				if (!errs.length) childCreates.push(n);
			}
			if (errs.length)
				plan.errors.push(
					...errs.map((e) => ({ key: plan.prep.rec.key, ...e, field: `${add.field}.${e.field}` }))
				);
			else keep.push(add);
		}
		plan.relAdds = keep;
	}
	const creates = [...parentCreates, ...childCreates];
	const newIds = await nextIds(t, R, 'cmdb_cis', creates.length);
	creates.forEach((n, i) => (n.id = newIds[i]));
	out.rowsWritten += await insertCis(t, R, creates);
	out.children.inserted += childCreates.length;
	const survivors = plans.filter((p) => !p.dropped);

	// 4. Relations that end, before new ones begin (a 1:1 slot is freed first).
	const removes = survivors.flatMap((p) => p.relRemoves.map((x) => ({ ...x, parent: p.parent })));
	out.rowsWritten += await deleteRelations(t, R, removes);
	out.children.unrelated += removes.length;

	// 5. Children no longer reported: flagged, or deleted.
	const flagged = await flagMissing(
		t,
		R,
		survivors.flatMap((p) => p.flagChildren.map((c) => c.id))
	);
	out.rowsWritten += flagged * 2;
	out.children.missing += flagged;
	for (const plan of survivors)
		for (const { ch, child } of plan.deleteChildren) {
			try {
				out.rowsWritten += await deleteWithCount(t, R, child.id);
				out.children.deleted++;
			} catch (e) {
				plan.errors.push(...fieldErrors(plan.prep.rec.key, e, `${ch.domain.name}.`));
			}
		}

	// 6. New relations. Containment domains go through relate() for its cycle check.
	const adds = survivors.flatMap((p) => p.relAdds.map((x) => ({ ...x, plan: p, parent: p.parent })));
	for (const x of adds.filter((a) => a.ch.domain.containment)) {
		const e = ends(x.ch, x.parent, x.child);
		try {
			await relate(
				t,
				R.ctx,
				{ domain: x.ch.domain.name, sourceId: e.source.id, targetId: e.target.id, data: x.data },
				R.m
			);
			out.rowsWritten += 3;
			out.children.related++;
		} catch (err) {
			x.plan.errors.push(...fieldErrors(x.plan.prep.rec.key, err, `${x.field}.`));
		}
	}
	const bulk = adds.filter((a) => !a.ch.domain.containment);
	out.rowsWritten += await insertRelations(t, R, bulk);
	out.children.related += bulk.length;

	// 7. Changed relation values.
	const relUpdates = survivors.flatMap((p) => p.relUpdates.map((x) => ({ ...x, parent: p.parent })));
	out.rowsWritten += await updateRelations(t, R, relUpdates);
	out.children.relationsUpdated += relUpdates.length;

	// Outcome per record.
	for (const plan of plans) {
		out.errors.push(...plan.errors);
		if (plan.dropped) continue;
		out.children.unchanged += plan.unchangedChildren;
		const wrote =
			plan.wrote ||
			plan.relAdds.length > 0 ||
			plan.relRemoves.length > 0 ||
			plan.relUpdates.length > 0 ||
			plan.flagChildren.length > 0 ||
			plan.deleteChildren.length > 0;
		if ('isNew' in plan.parent) out.inserted++;
		else if (plan.parentFound) out.found++;
		else if (wrote) out.updated++;
		else out.unchanged++;
	}
	return out;
}
