// The import planner: maps a parsed CSV file to rows of CIs and decides each row (insert, update,
// unchanged, error) by createCi/updateCi's rules, without writing. See import.ts.
import { and, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import { UserError } from '../errors';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';
import { ValidationError, type Data } from './validation';
import type { AttrDef, ClassDef, Model } from './model';
import { parseCsv, type ParsedCsv } from './csv';
import { jsonSet, Lookups, validateRow } from './import-checks';

/** Column targets besides attributes: the CI's name, id (only as the key) and class (for subclasses). */
export const BUILT_IN = ['name', 'id', 'class'] as const;
export const DEFAULT_MESSAGE = 'CSV import';

export type RowAction = 'insert' | 'update' | 'unchanged' | 'error';
export interface FieldError {
	field: string;
	message: string;
}
export interface ImportRow {
	line: number;
	action: RowAction;
	key: string;
	name: string;
	changes?: Record<string, [unknown, unknown]>;
	errors?: FieldError[];
}

export interface PlanInput {
	class: string;
	csv: string;
	mapping: Record<string, string>;
	keyAttribute: string;
	message?: string;
}

/** Every attribute a row of `c` (or one of its subclasses) can have, by lower-case name. */
export function scopeAttributes(m: Model, c: ClassDef): Map<string, AttrDef> {
	const out = new Map<string, AttrDef>();
	for (const id of c.descendants)
		for (const a of m.classById(id).attributes)
			if (!out.has(a.name.toLowerCase())) out.set(a.name.toLowerCase(), a);
	return out;
}

export interface Plan {
	m: Model;
	c: ClassDef;
	csv: ParsedCsv;
	/** Column index → target (canonical attribute name, or name/id/class). */
	targets: { index: number; column: string; target: string }[];
	key: string;
	keyAttr: AttrDef | null;
	message: string | undefined;
}

export function makePlan(m: Model, input: PlanInput): Plan {
	const c = m.cls(input.class);
	const csv = parseCsv(input.csv);
	const attrs = scopeAttributes(m, c);
	const canonical = (t: string): string | null => {
		const l = t.trim().toLowerCase();
		if ((BUILT_IN as readonly string[]).includes(l)) return l;
		return attrs.get(l)?.name ?? null;
	};
	const key = canonical(input.keyAttribute);
	if (!key || key === 'class')
		throw new UserError(
			`"${input.keyAttribute}" can't be the key: choose name, id or an attribute of ${c.name}.`
		);
	const targets: Plan['targets'] = [];
	const used = new Map<string, string>();
	for (const [column, target] of Object.entries(input.mapping)) {
		if (!target.trim()) continue;
		const index = csv.header.indexOf(column);
		if (index < 0)
			throw new UserError(`The mapping names a column "${column}" that is not in the file's header.`);
		const t = canonical(target);
		if (!t)
			throw new UserError(
				`Column "${column}" is mapped to "${target}", but ${c.name} has no such attribute.`
			);
		if (t === 'id' && key !== 'id') continue; // ids only identify CIs; without id as the key, ignore them
		const other = used.get(t);
		if (other)
			throw new UserError(
				`Columns "${other}" and "${column}" are both mapped to ${t}; map only one of them.`
			);
		used.set(t, column);
		targets.push({ index, column, target: t });
	}
	if (!used.has(key))
		throw new UserError(`Map a column to the key ${key}: rows are matched to existing CIs by it.`);
	const explicit = input.message?.trim() || undefined;
	if (c.requireChangeMessage && !explicit)
		throw new ValidationError([
			{ field: 'message', message: `changes to ${c.name} need a change message; say why you import` }
		]);
	return {
		m,
		c,
		csv,
		targets,
		key,
		keyAttr: key === 'name' || key === 'id' ? null : attrs.get(key.toLowerCase())!,
		message: explicit
	};
}

export interface Existing {
	id: number;
	classId: number;
	name: string;
	data: Data;
	version: number;
	manual: string[];
}

/** The key of a row as matched (lower case), or a field error. Empty is allowed only for id (a new CI). */
function rowKey(p: Plan, raw: string): { key: string | null; error?: FieldError } {
	const s = raw.trim();
	if (!s) {
		if (p.key === 'id') return { key: null };
		return {
			key: null,
			error: { field: p.key, message: 'is empty; every row needs a value in the key column' }
		};
	}
	if (p.key === 'name') return { key: s.toLowerCase() };
	if (p.key === 'id') {
		if (!/^\d{1,9}$/.test(s))
			return { key: null, error: { field: 'id', message: `must be the id of a CI (got "${s}")` } };
		return { key: String(Number(s)) };
	}
	const r = checkValue(p.keyAttr!, s);
	if (!r.ok) return { key: null, error: { field: p.key, message: r.error } };
	return { key: String(r.value).toLowerCase() };
}

/** Existing CIs of the class (and subclasses) whose key is in `keys`: one query for the whole file. */
async function prefetch(t: Db, p: Plan, keys: string[], lock: boolean): Promise<Map<string, Existing[]>> {
	const out = new Map<string, Existing[]>();
	if (!keys.length) return out;
	const keyExpr =
		p.key === 'id'
			? sql`${cmdbCis.id}::text`
			: p.key === 'name'
				? sql`lower(${cmdbCis.name})`
				: sql`lower(${cmdbCis.data}->>${p.key})`;
	const query = t
		.select({
			k: sql<string>`${keyExpr}`,
			id: cmdbCis.id,
			classId: cmdbCis.classId,
			name: cmdbCis.name,
			data: cmdbCis.data,
			version: cmdbCis.version,
			manual: cmdbCis.manual
		})
		.from(cmdbCis)
		.where(and(inArray(cmdbCis.classId, p.c.descendants), sql`${keyExpr} in ${jsonSet(keys)}`));
	const rows = lock ? await query.for('update') : await query;
	for (const { k, ...ci } of rows) out.set(k, [...(out.get(k) ?? []), ci]);
	return out;
}

function diff(before: { name: string; data: Data }, after: { name: string; data: Data }) {
	const changes: Record<string, [unknown, unknown]> = {};
	for (const k of new Set([...Object.keys(before.data), ...Object.keys(after.data)])) {
		const b = before.data[k] ?? null;
		const a = after.data[k] ?? null;
		if (JSON.stringify(b) !== JSON.stringify(a)) changes[k] = [b, a];
	}
	if (before.name !== after.name) changes.name = [before.name || null, after.name];
	return changes;
}

export type Write =
	| { kind: 'insert'; cls: ClassDef; name: string; data: Data; message: string }
	| {
			kind: 'update';
			cls: ClassDef;
			cur: Existing;
			name: string;
			data: Data;
			message: string;
			changes: Record<string, [unknown, unknown]>;
	  };

/**
 * Decides every row: createCi/updateCi's rules (the class's message requirement, abstract classes, values,
 * required, references, uniqueness; an update that changes nothing is unchanged), without writing.
 */
export async function planRows(
	t: Db,
	p: Plan,
	lock: boolean
): Promise<{ rows: ImportRow[]; writes: Write[] }> {
	const { m, c, csv } = p;
	const col = (target: string) => p.targets.find((x) => x.target === target);
	const keyCol = col(p.key)!;
	const nameCol = col('name');
	const classCol = col('class');
	const attrCols = p.targets.filter((x) => !(BUILT_IN as readonly string[]).includes(x.target));
	const attrMemo = new Map<number, Map<string, AttrDef | undefined>>();
	const attr = (cls: ClassDef, name: string) => {
		let byName = attrMemo.get(cls.id);
		if (!byName) attrMemo.set(cls.id, (byName = new Map()));
		if (!byName.has(name)) byName.set(name, m.attr(cls, name));
		return byName.get(name);
	};

	const keys = csv.rows.map((r) => rowKey(p, r.fields[keyCol.index]));
	const existing = await prefetch(
		t,
		p,
		[...new Set(keys.flatMap((k) => (k.key === null ? [] : [k.key])))],
		lock
	);

	const look = await Lookups.forFile(
		t,
		m,
		c,
		attrCols,
		csv.rows.map((r) => r.fields),
		[...existing.values()].flat()
	);

	const firstLine = new Map<string, number>();
	const rows: ImportRow[] = [];
	const writes: Write[] = [];
	for (let i = 0; i < csv.rows.length; i++) {
		const { line, fields } = csv.rows[i];
		const rawKey = fields[keyCol.index].trim();
		const errors: FieldError[] = [];
		const { key, error } = keys[i];
		if (error) errors.push(error);
		if (key !== null) {
			const first = firstLine.get(key);
			if (first !== undefined)
				errors.push({
					field: p.key,
					message: `"${rawKey}" is also on line ${first}; each row needs its own key`
				});
			else firstLine.set(key, line);
		}
		const matches = key !== null ? (existing.get(key) ?? []) : [];
		if (matches.length > 1)
			errors.push({
				field: p.key,
				message: `"${rawKey}" matches ${matches.length} CIs (${matches.map((x) => `#${x.id}`).join(', ')}); choose a key attribute whose values are unique`
			});
		const cur = matches.length === 1 ? matches[0] : undefined;
		if (p.key === 'id' && key !== null && !cur)
			errors.push({
				field: 'id',
				message: `there is no ${c.name} #${key}; leave id empty to create a new CI`
			});

		// The row's class: the import's class, or a subclass named in the class column.
		let cls = cur ? m.classById(cur.classId) : c;
		const className = classCol ? fields[classCol.index].trim() : '';
		if (className) {
			const named = m.findClass(className);
			if (!named || !c.descendants.includes(named.id))
				errors.push({
					field: 'class',
					message: `must be ${c.name} or one of its subclasses (got "${className}")`
				});
			else if (cur && named.id !== cur.classId)
				errors.push({
					field: 'class',
					message: `CI #${cur.id} is a ${cls.name}; an import can't change a CI's class`
				});
			else cls = named;
		}

		let name: string | undefined;
		if (nameCol) {
			name = fields[nameCol.index].trim();
			if (!name) errors.push({ field: 'name', message: 'is required' });
			else if (name.length > 300) errors.push({ field: 'name', message: 'is at most 300 characters' });
		} else if (!cur) errors.push({ field: 'name', message: 'a new CI needs a name; map a column to name' });
		if (!cur && cls.abstract && !errors.some((e) => e.field === 'class'))
			errors.push({
				field: 'class',
				message: `${cls.name} is abstract; name one of its subclasses in a class column`
			});

		const input: Data = {};
		for (const a of attrCols) {
			const value = fields[a.index];
			if (attr(cls, a.target)) input[a.target] = value;
			else if (!isEmptyValue(value))
				errors.push({ field: a.target, message: `${cls.name} has no attribute "${a.target}"` });
		}

		const shownName = name || cur?.name || '';
		const message = p.message ?? (cls.requireChangeMessage ? '' : DEFAULT_MESSAGE);
		const needMessage = () =>
			cls.requireChangeMessage && !message
				? [{ field: 'message', message: `changes to ${cls.name} need a change message` }]
				: [];
		if (!errors.length && !cur) errors.push(...needMessage());
		if (errors.length) {
			rows.push({ line, action: 'error', key: rawKey, name: shownName, errors });
			continue;
		}
		const checked = validateRow(
			m,
			look,
			cls,
			input,
			cur ? { base: cur.data, selfId: cur.id } : { applyDefaults: true }
		);
		if ('errors' in checked) {
			rows.push({ line, action: 'error', key: rawKey, name: shownName, errors: checked.errors });
			continue;
		}
		const after = { name: name ?? cur?.name ?? '', data: checked.data };
		if (cur) {
			const changes = diff(cur, after);
			if (!Object.keys(changes).length) {
				rows.push({ line, action: 'unchanged', key: rawKey, name: cur.name });
				continue;
			}
			const missing = needMessage();
			if (missing.length) {
				rows.push({ line, action: 'error', key: rawKey, name: shownName, errors: missing });
				continue;
			}
			look.hold(cls, { id: cur.id, name: after.name }, cur.data, after.data);
			rows.push({ line, action: 'update', key: rawKey, name: after.name, changes });
			writes.push({ kind: 'update', cls, cur, ...after, message, changes });
		} else {
			look.hold(cls, { id: null, name: after.name, line }, {}, after.data);
			rows.push({
				line,
				action: 'insert',
				key: rawKey,
				name: after.name,
				changes: diff({ name: '', data: {} }, after)
			});
			writes.push({ kind: 'insert', cls, ...after, message });
		}
	}
	return { rows, writes };
}
