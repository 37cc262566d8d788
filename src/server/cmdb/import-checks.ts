// The database checks of validateData (cis.ts) for a whole CSV file at once: referenced CIs and unique values
// are read in a few set queries, then answered from memory row by row. See import.ts.
import { and, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';
import type { Data } from './validation';
import type { AttrDef, ClassDef, Model } from './model';
import type { FieldError } from './import-plan';

/** A JSON array literal as a set to test `in`: one parameter however many values (no 65,535 limit). */
export const jsonSet = (values: (string | number)[]) =>
	sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;

/** Who holds a unique value: an existing CI, or a row of this file that creates one. */
interface Holder {
	id: number | null;
	name: string;
	line?: number;
}

/**
 * The database side of validateData (reference targets, unique values), answered from memory: the CIs the
 * file's values could collide with are read once, then every accepted row updates the index, so a row sees
 * the rows before it exactly as it would if they had been written one by one.
 */
export class Lookups {
	/** attribute id → lower-case value → holders */
	unique = new Map<number, Map<string, Holder[]>>();
	refs = new Map<number, number>(); // CI id → class id

	/**
	 * What the checks need to know for a file: every unique value and referenced id that its rows (mapped
	 * columns, defaults) or the existing CIs it changes could end up with, read in one query per attribute.
	 */
	static forFile(
		t: Db,
		m: Model,
		c: ClassDef,
		columns: { index: number; target: string }[],
		rows: string[][],
		existing: { classId: number; data: Data }[]
	): Promise<Lookups> {
		// Inherited attributes appear in every subclass: collect each once, by id.
		const relevant = new Map<number, AttrDef>();
		for (const id of c.descendants)
			for (const a of m.classById(id).attributes)
				if (a.unique || a.type === 'reference') relevant.set(a.id, a);
		const wanted = new Map<number, Set<string>>();
		for (const a of relevant.values()) if (a.unique) wanted.set(a.id, new Set());
		const refIds = new Set<number>();
		const note = (a: AttrDef, v: unknown) => {
			if (isEmptyValue(v)) return;
			if (a.unique) wanted.get(a.id)?.add(String(v).toLowerCase());
			if (a.type === 'reference' && typeof v === 'number') refIds.add(v);
		};
		for (const a of relevant.values()) {
			const column = columns.find((x) => x.target.toLowerCase() === a.name.toLowerCase());
			if (column)
				for (const fields of rows) {
					const v = checkValue(a, fields[column.index]);
					if (v.ok) note(a, v.value);
				}
			note(a, a.defaultValue);
		}
		for (const ci of existing) for (const a of m.classById(ci.classId).attributes) note(a, ci.data[a.name]);
		return Lookups.load(t, m, c, wanted, refIds);
	}

	private static async load(
		t: Db,
		m: Model,
		c: ClassDef,
		wanted: Map<number, Set<string>>,
		refIds: Set<number>
	) {
		const l = new Lookups();
		for (const [attrId, values] of wanted) {
			const a = m.allAttributes.get(attrId)!;
			const index = new Map<string, Holder[]>();
			l.unique.set(attrId, index);
			if (!values.size) continue;
			const scope = a.classId ? m.classById(a.classId).descendants : c.descendants;
			const v = sql`lower(${cmdbCis.data}->>${a.name})`;
			const rows = await t
				.select({ id: cmdbCis.id, name: cmdbCis.name, v: sql<string>`${v}` })
				.from(cmdbCis)
				.where(and(inArray(cmdbCis.classId, scope), sql`${v} in ${jsonSet([...values])}`));
			for (const r of rows) index.set(r.v, [...(index.get(r.v) ?? []), { id: r.id, name: r.name }]);
		}
		if (refIds.size) {
			const rows = await t
				.select({ id: cmdbCis.id, classId: cmdbCis.classId })
				.from(cmdbCis)
				.where(sql`${cmdbCis.id}::text in ${jsonSet([...refIds])}`);
			for (const r of rows) l.refs.set(r.id, r.classId);
		}
		return l;
	}

	/** Moves `holder`'s unique values from `before` to `after` (a row that was accepted). */
	hold(cls: ClassDef, holder: Holder, before: Data, after: Data) {
		for (const a of cls.attributes) {
			if (!a.unique) continue;
			const index = this.unique.get(a.id)!;
			if (!isEmptyValue(before[a.name])) {
				const k = String(before[a.name]).toLowerCase();
				const rest = (index.get(k) ?? []).filter((h) => h.id !== holder.id);
				if (rest.length) index.set(k, rest);
				else index.delete(k);
			}
			if (!isEmptyValue(after[a.name])) {
				const k = String(after[a.name]).toLowerCase();
				index.set(k, [...(index.get(k) ?? []), holder]);
			}
		}
	}
}

/**
 * validateData (cis.ts) for one row, with its database checks answered by `look`: the same rules, the same
 * messages, the same order (values and required first; references and uniqueness only when those pass).
 */
export function validateRow(
	m: Model,
	look: Lookups,
	cls: ClassDef,
	input: Data,
	opts: { base?: Data; selfId?: number; applyDefaults?: boolean }
): { data: Data } | { errors: FieldError[] } {
	const errors: FieldError[] = [];
	const data: Data = { ...(opts.base ?? {}) };
	for (const [key, raw] of Object.entries(input)) {
		const a = m.attr(cls, key)!;
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: a.name, message: r.error });
		else if (r.value === null) delete data[a.name];
		else data[a.name] = r.value;
	}
	for (const a of cls.attributes) {
		if (opts.applyDefaults && data[a.name] === undefined && a.defaultValue != null)
			data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]) && !errors.some((e) => e.field === a.name))
			errors.push({ field: a.name, message: 'is required' });
	}
	if (errors.length) return { errors };
	for (const a of cls.attributes) {
		if (a.type !== 'reference' || typeof data[a.name] !== 'number') continue;
		const id = data[a.name] as number;
		const classId = look.refs.get(id);
		const want = a.refClassId ? m.classes.get(a.refClassId) : undefined;
		if (classId === undefined)
			errors.push({ field: a.name, message: `refers to CI #${id}, which does not exist` });
		else if (want && !m.isA(classId, want.id))
			errors.push({
				field: a.name,
				message: `must refer to a ${want.name}; CI #${id} is a ${m.classes.get(classId)?.name}`
			});
	}
	for (const a of cls.attributes) {
		if (!a.unique || isEmptyValue(data[a.name])) continue;
		const hit = (look.unique.get(a.id)?.get(String(data[a.name]).toLowerCase()) ?? []).find(
			(h) => h.id === null || h.id !== opts.selfId
		);
		if (hit)
			errors.push({
				field: a.name,
				message: `must be unique; "${data[a.name]}" is already used by ${hit.name} (${hit.line ? `line ${hit.line} of this file` : `#${hit.id}`})`
			});
	}
	return errors.length ? { errors } : { data };
}
