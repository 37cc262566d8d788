// Values of records compared in memory: checked and made canonical like cis.ts does, then diffed against
// what is stored.
import { checkValue, isEmptyValue } from '../../../lib/cmdb/values';
import type { AttrDef, ClassDef, DomainDef } from '../model';
import type { Child, CiLite, Data, Errors, NewCi, Resolved } from './types';

export const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function sameData(a: Data, b: Data): boolean {
	for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!same(a[k], b[k])) return false;
	return true;
}

export function isObject(v: unknown): v is Data {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a patch against class `c`: canonical attribute names, canonical values, null for "clear". */
export function normalise(R: Resolved, c: ClassDef, input: unknown, prefix: string, errors: Errors): Data {
	const out: Data = {};
	if (input === undefined || input === null) return out;
	if (!isObject(input)) {
		errors.push({ field: prefix.replace(/\.$/, '') || 'data', message: 'must be an object of values' });
		return out;
	}
	const attrs = R.attrs.get(c.id)!;
	for (const [k, raw] of Object.entries(input)) {
		const a = attrs.get(k.toLowerCase());
		if (!a) {
			errors.push({ field: prefix + k, message: `${c.name} has no attribute "${k}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: prefix + a.name, message: r.error });
		else out[a.name] = r.value;
	}
	return out;
}

/** Relation attribute values, checked like relate() does. */
export function normaliseRelation(d: DomainDef, input: unknown, prefix: string, errors: Errors): Data {
	const out: Data = {};
	if (!isObject(input)) {
		errors.push({ field: prefix + 'relationData', message: 'must be an object of values' });
		return out;
	}
	for (const [k, raw] of Object.entries(input)) {
		const a = d.attributes.find((x) => x.name.toLowerCase() === k.toLowerCase());
		if (!a) {
			errors.push({ field: prefix + k, message: `${d.name} relations have no attribute "${k}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: prefix + a.name, message: r.error });
		else out[a.name] = r.value;
	}
	return out;
}

/** The complete values of something new: given values, then defaults; required ones checked. */
export function complete(attrs: AttrDef[], patch: Data, prefix: string, errors: Errors): Data {
	const data: Data = {};
	for (const [k, v] of Object.entries(patch)) if (v !== null) data[k] = v;
	for (const a of attrs) {
		if (data[a.name] === undefined && a.defaultValue !== null && a.defaultValue !== undefined)
			data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]))
			errors.push({ field: prefix + a.name, message: 'is required' });
	}
	return data;
}

export function checkName(raw: unknown, field: string, errors: Errors): string {
	const name = typeof raw === 'string' ? raw.trim() : '';
	if (!name) errors.push({ field, message: 'a CI needs a name' });
	else if (name.length > 300) errors.push({ field, message: 'at most 300 characters' });
	return name;
}

export function identity(ch: Child, name: string, data: Data): string {
	return JSON.stringify(ch.identify.map((a) => (a === 'name' ? name : (data[a] ?? null))));
}

/** What must change on an existing CI, leaving hand-set values alone where the attribute protects them. */
export function diffPatch(
	R: Resolved,
	row: CiLite,
	name: string,
	patch: Data
): { name?: string; data: Data } | null {
	const manual = R.respectManual ? new Set(row.manual) : null;
	const attrs = R.attrs.get(row.classId)!;
	const data: Data = {};
	for (const [k, v] of Object.entries(patch)) {
		if (manual?.has(k) && attrs.get(k.toLowerCase())?.manualPolicy !== 'overwrite') continue;
		if (!same(v, row.data[k])) data[k] = v;
	}
	const rename = name !== row.name && !manual?.has('name') ? name : undefined;
	return Object.keys(data).length || rename !== undefined ? { name: rename, data } : null;
}

export function newCi(cls: ClassDef, name: string, data: Data): NewCi {
	return {
		id: 0,
		classId: cls.id,
		name,
		data,
		manual: [],
		missingSince: null,
		version: 1,
		cls,
		isNew: true
	};
}
