// Comparing in memory: each record against what exists, giving the writes it needs (a Plan) and nothing
// for what is unchanged.
import { isEmptyValue } from '../../../lib/cmdb/values';
import type {
	AnyCi,
	Child,
	ChunkRecord,
	DiscoveredChild,
	DiscoveredRecord,
	Errors,
	Existing,
	NewCi,
	PChild,
	Plan,
	ReconcileError,
	Resolved
} from './types';
import {
	checkName,
	complete,
	diffPatch,
	identity,
	isObject,
	newCi,
	normalise,
	normaliseRelation,
	same,
	sameData
} from './values';

/** Child records of one record, checked; domains with a bad child are not checked for missing children. */
export function prepareChildren(
	R: Resolved,
	rec: DiscoveredRecord,
	errors: ReconcileError[]
): Pick<ChunkRecord, 'byChild' | 'incomplete'> {
	const byChild = new Map<Child, PChild[]>();
	const incomplete = new Set<Child>();
	if (rec.children === undefined || rec.children === null) return { byChild, incomplete };
	if (!isObject(rec.children)) {
		errors.push({ key: rec.key, field: 'children', message: 'must be an object of lists by domain' });
		return { byChild, incomplete };
	}
	for (const [domainName, list] of Object.entries(rec.children)) {
		const ch = R.childByDomain.get(domainName.toLowerCase());
		if (!ch) {
			errors.push({
				key: rec.key,
				field: domainName,
				message: `is not one of the relation types reconciled here (${R.children.map((c) => c.domain.name).join(', ') || 'none'})`
			});
			continue;
		}
		if (!Array.isArray(list)) {
			errors.push({ key: rec.key, field: ch.domain.name, message: 'must be a list of child records' });
			incomplete.add(ch);
			continue;
		}
		if (ch.single && list.length > 1) {
			errors.push({
				key: rec.key,
				field: ch.domain.name,
				message: `${ch.domain.name} is ${ch.domain.cardinality}: a ${R.cls.name} has at most one; ${list.length} were given`
			});
			incomplete.add(ch);
			continue;
		}
		const out: PChild[] = [];
		const seen = new Set<string>();
		list.forEach((item: DiscoveredChild, i) => {
			const field = `${ch.domain.name}[${i}]`;
			const errs: Errors = [];
			if (!isObject(item)) errs.push({ field, message: 'must be an object with name and data' });
			const name = checkName(item?.name, `${field}.name`, errs);
			const patch = normalise(R, ch.cls, item?.data, `${field}.`, errs);
			const relData =
				item?.relationData === undefined
					? undefined
					: normaliseRelation(ch.domain, item.relationData, `${field}.`, errs);
			const values = ch.identify.map((a) => (a === 'name' ? name : patch[a]));
			if (!errs.length && values.every((v) => isEmptyValue(v)))
				errs.push({
					field,
					message: `needs ${ch.identify.join(' or ')} to tell this ${ch.cls.name} apart from the others`
				});
			const id = identity(ch, name, patch);
			if (!errs.length && seen.has(id))
				errs.push({
					field,
					message: `is the same ${ch.cls.name} as an earlier one (${ch.identify.join(', ')})`
				});
			seen.add(id);
			if (errs.length) {
				for (const e of errs) errors.push({ key: rec.key, ...e });
				incomplete.add(ch);
				return;
			}
			out.push({ ch, name, patch, identity: id, relData, field });
		});
		byChild.set(ch, out);
	}
	return { byChild, incomplete };
}

/**
 * The plan of every record whose own values are good (the others go to `errors`). Shared children new to
 * the database are planned once per chunk, however many records report them.
 */
export function planChunk(
	R: Resolved,
	records: ChunkRecord[],
	ex: Existing,
	errors: ReconcileError[]
): Plan[] {
	const sharedNew = new Map<string, NewCi>();
	const childUpdatePlanned = new Set<number>();
	const plans: Plan[] = [];
	records.forEach((r, i) => {
		const { rec } = r.p;
		const errs: Errors = [];
		const name = checkName(rec.name, 'name', errs);
		const row = ex.parents.get(r.p.keyStr);
		const cls = row ? R.m.classById(row.classId) : R.cls;
		const patch = normalise(R, cls, rec.data, '', errs);
		if (R.key.name in patch && !same(patch[R.key.name], r.p.keyValue))
			errs.push({ field: R.key.name, message: `differs from the record's key "${r.p.keyStr}"` });
		delete patch[R.key.name];
		let parent: AnyCi;
		if (row) parent = row;
		else
			parent = newCi(cls, name, complete(cls.attributes, { ...patch, [R.key.name]: r.p.keyValue }, '', errs));
		if (errs.length) {
			errors.push(...r.errors, ...errs.map((e) => ({ key: rec.key, ...e })));
			return;
		}
		const plan: Plan = {
			prep: r.p,
			errors: r.errors,
			dropped: false,
			parent,
			parentPatch: row ? diffPatch(R, row, name, patch) : null,
			parentFound: !!row?.missingSince,
			childUpdates: [],
			relAdds: [],
			relUpdates: [],
			relRemoves: [],
			flagChildren: [],
			deleteChildren: [],
			unchangedChildren: 0,
			wrote: false
		};
		for (const ch of R.children) {
			const given = r.byChild.get(ch);
			if (!given) continue; // not reported: left alone
			const have = ex.children[i].get(ch)!;
			const matched = new Set<number>();
			for (const pc of given) {
				const hit = have.get(pc.identity);
				const relErrs: Errors = [];
				if (hit) {
					matched.add(hit.rel.id);
					const diff = diffPatch(R, hit.row, pc.name, pc.patch);
					let touched = false;
					if ((diff || hit.row.missingSince) && !childUpdatePlanned.has(hit.row.id)) {
						childUpdatePlanned.add(hit.row.id);
						plan.childUpdates.push({
							row: hit.row,
							patch: diff,
							found: !!hit.row.missingSince,
							field: pc.field
						});
						touched = true;
					}
					if (pc.relData) {
						const data = { ...hit.rel.data };
						for (const [k, v] of Object.entries(pc.relData)) {
							if (v === null) delete data[k];
							else data[k] = v;
						}
						if (!sameData(data, hit.rel.data)) {
							plan.relUpdates.push({ ch, rel: hit.rel, child: hit.row, data });
							touched = true;
						}
					}
					if (!touched) plan.unchangedChildren++;
					continue;
				}
				const relData = complete(ch.domain.attributes, pc.relData ?? {}, `${pc.field}.`, relErrs);
				const childErrs: Errors = [];
				let child: AnyCi | undefined;
				if (ch.shared) {
					const found = ex.shared.get(ch)!.get(pc.identity);
					if (found) {
						child = found;
						const diff = diffPatch(R, found, pc.name, pc.patch);
						if ((diff || found.missingSince) && !childUpdatePlanned.has(found.id)) {
							childUpdatePlanned.add(found.id);
							plan.childUpdates.push({
								row: found,
								patch: diff,
								found: !!found.missingSince,
								field: pc.field
							});
						}
					} else {
						const k = `${ch.cls.id}|${pc.identity}`;
						child = sharedNew.get(k);
						if (!child) {
							const data = complete(ch.cls.attributes, pc.patch, `${pc.field}.`, childErrs);
							if (!childErrs.length) sharedNew.set(k, (child = newCi(ch.cls, pc.name, data)));
						}
					}
				} else {
					const data = complete(ch.cls.attributes, pc.patch, `${pc.field}.`, childErrs);
					if (!childErrs.length) child = newCi(ch.cls, pc.name, data);
				}
				if (relErrs.length || childErrs.length || !child) {
					plan.errors.push(...[...childErrs, ...relErrs].map((e) => ({ key: rec.key, ...e })));
					r.incomplete.add(ch);
					continue;
				}
				plan.relAdds.push({ ch, child, data: relData, field: pc.field });
			}
			if (r.incomplete.has(ch)) continue; // a bad child record: don't conclude anything is gone
			for (const { rel, row: child } of have.values()) {
				if (matched.has(rel.id)) continue;
				if (ch.shared || ch.spec.missing === 'flag') plan.relRemoves.push({ ch, rel, child });
				if (!ch.shared && ch.spec.missing === 'flag') plan.flagChildren.push(child);
				if (!ch.shared && ch.spec.missing === 'delete') plan.deleteChildren.push({ ch, child });
			}
		}
		plans.push(plan);
	});

	return plans;
}
