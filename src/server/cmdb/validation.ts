// Checking values against the model, shared by CIs, relations, CSV import and reconciliation. Every bad field
// is reported at once, so a form or a CSV row can show all of them.
import { and, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import { UserError } from '../errors';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';
import type { ChangeContext } from './cis';
import type { AttrDef, ClassDef, DomainDef, Model } from './model';

export type Data = Record<string, unknown>;

/** A batch of field errors, so a form or CSV row can show all of them at once. */
export class ValidationError extends UserError {
	constructor(readonly fields: { field: string; message: string }[]) {
		super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
	}
}

/**
 * Checks and normalises `input` for class `c`. With `base` (an update) only the given fields change.
 * Returns the complete data, or throws a ValidationError naming every bad field.
 */
export async function validateData(
	t: Db,
	m: Model,
	c: ClassDef,
	input: Data,
	opts: { base?: Data; selfId?: number; applyDefaults?: boolean } = {}
): Promise<Data> {
	const errors: { field: string; message: string }[] = [];
	const data: Data = { ...(opts.base ?? {}) };
	for (const [key, raw] of Object.entries(input)) {
		const a = m.attr(c, key);
		if (!a) {
			errors.push({ field: key, message: `${c.name} has no attribute "${key}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: a.name, message: r.error });
		else if (r.value === null) delete data[a.name];
		else data[a.name] = r.value;
	}
	for (const a of c.attributes) {
		if (
			opts.applyDefaults &&
			data[a.name] === undefined &&
			a.defaultValue !== null &&
			a.defaultValue !== undefined
		)
			data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]) && !errors.some((e) => e.field === a.name))
			errors.push({ field: a.name, message: 'is required' });
	}
	if (errors.length) throw new ValidationError(errors);
	await checkReferences(t, m, c.attributes, data, errors);
	await checkUnique(t, m, c, data, opts.selfId, errors);
	if (errors.length) throw new ValidationError(errors);
	return data;
}

async function checkReferences(
	t: Db,
	m: Model,
	attrs: AttrDef[],
	data: Data,
	errors: { field: string; message: string }[]
) {
	const refs = attrs.filter((a) => a.type === 'reference' && typeof data[a.name] === 'number');
	if (!refs.length) return;
	const ids = refs.map((a) => data[a.name] as number);
	const rows = await t
		.select({ id: cmdbCis.id, classId: cmdbCis.classId })
		.from(cmdbCis)
		.where(inArray(cmdbCis.id, ids));
	for (const a of refs) {
		const row = rows.find((r) => r.id === data[a.name]);
		const want = a.refClassId ? m.classes.get(a.refClassId) : undefined;
		if (!row) errors.push({ field: a.name, message: `refers to CI #${data[a.name]}, which does not exist` });
		else if (want && !m.isA(row.classId, want.id))
			errors.push({
				field: a.name,
				message: `must refer to a ${want.name}; CI #${row.id} is a ${m.classes.get(row.classId)?.name}`
			});
	}
}

async function checkUnique(
	t: Db,
	m: Model,
	c: ClassDef,
	data: Data,
	selfId: number | undefined,
	errors: { field: string; message: string }[]
) {
	for (const a of c.attributes) {
		if (!a.unique || isEmptyValue(data[a.name])) continue;
		// Unique across the class that defines the attribute and all its subclasses.
		const scope = a.classId ? m.classById(a.classId).descendants : c.descendants;
		const [hit] = await t
			.select({ id: cmdbCis.id, name: cmdbCis.name })
			.from(cmdbCis)
			.where(
				and(
					inArray(cmdbCis.classId, scope),
					sql`lower(${cmdbCis.data}->>${a.name}) = lower(${String(data[a.name])})`,
					selfId ? sql`${cmdbCis.id} <> ${selfId}` : undefined
				)
			)
			.limit(1);
		if (hit)
			errors.push({
				field: a.name,
				message: `must be unique; "${data[a.name]}" is already used by ${hit.name} (#${hit.id})`
			});
	}
}

/** The values of a new relation: given ones checked, then defaults; required ones present. */
export function relationData(d: DomainDef, input: Data): Data {
	const errors: { field: string; message: string }[] = [];
	const data: Data = {};
	for (const [k, raw] of Object.entries(input)) {
		const a = d.attributes.find((x) => x.name.toLowerCase() === k.toLowerCase());
		if (!a) {
			errors.push({ field: k, message: `${d.name} relations have no attribute "${k}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: a.name, message: r.error });
		else if (r.value !== null) data[a.name] = r.value;
	}
	for (const a of d.attributes) {
		if (data[a.name] === undefined && a.defaultValue != null) data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]) && !errors.some((e) => e.field === a.name))
			errors.push({ field: a.name, message: 'is required' });
	}
	if (errors.length) throw new ValidationError(errors);
	return data;
}

/** People (not inventory) must say why they change a class that asks for it. */
export function needMessage(c: ClassDef, ctx: ChangeContext) {
	if (c.requireChangeMessage && ['user', 'api', 'csv'].includes(ctx.source) && !ctx.message?.trim())
		throw new ValidationError([{ field: 'message', message: `changes to ${c.name} need a change message` }]);
}
