// Attribute filters, sort keys and free text for CI lists: the SQL conditions listPlan (query.ts) combines.
import { sql, type SQL } from 'drizzle-orm';
import { cmdbCis } from '../db/schema';
import { UserError } from '../errors';
import type { Filter } from '../../lib/protocol/cmdb';
import { checkValue } from '../../lib/cmdb/values';
import { TEXT_KEY_CHARS, valueKeySql } from './attribute-indexes';
import type { AttrDef, ClassDef, Model } from './model';

const NUMERIC = new Set(['integer', 'decimal', 'reference']);

function likeEscape(s: string): string {
	return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Every attribute called `name` in the classes searched (a superclass search spans its subclasses). */
export function attrsNamed(m: Model, classes: ClassDef[], name: string): AttrDef[] {
	const n = name.toLowerCase();
	const out = new Map<number, AttrDef>();
	for (const c of classes) for (const a of c.attributes) if (a.name.toLowerCase() === n) out.set(a.id, a);
	return [...out.values()];
}

export function filterSql(m: Model, classes: ClassDef[], f: Filter): SQL {
	if (f.attr.toLowerCase() === 'name' || f.attr.toLowerCase() === 'id') {
		const col = f.attr.toLowerCase() === 'id' ? sql`${cmdbCis.id}::text` : sql`${cmdbCis.name}`;
		return textCondition(col, f);
	}
	const attrs = attrsNamed(m, classes, f.attr);
	if (!attrs.length) {
		const scope = classes.length === 1 ? classes[0].name : 'the classes searched';
		throw new UserError(`Unknown attribute "${f.attr}" for ${scope}.`);
	}
	const a = attrs[0];
	const value = sql`${cmdbCis.data}->>${a.name}`;
	// The value as lists compare and sort it: what an indexed attribute's index holds.
	const key = valueKey(a);
	if (f.op === 'empty') return sql`(${value} is null)`;
	if (f.op === 'set') return sql`(${value} is not null)`;
	if (NUMERIC.has(a.type) && !['~', '!~'].includes(f.op)) {
		const n = Number(f.value);
		if (!Number.isFinite(n)) throw new UserError(`${a.name} is a number; "${f.value}" is not.`);
		return sql`(${key} ${sql.raw(f.op === '=' ? '=' : f.op === '!=' ? '<>' : f.op)} ${n})`;
	}
	if (a.type === 'enum' && !a.indexed && ['=', '!='].includes(f.op)) {
		// Enum values are stored exactly as defined, so a known value is a containment test the GIN index on
		// `data` answers without reading every CI of the class; any other value keeps the text comparison.
		const r = checkValue(a, f.value);
		if (r.ok && r.value !== null && attrs.every((x) => x.enumValues?.includes(String(r.value)))) {
			const has = sql`(${cmdbCis.data} @> ${JSON.stringify({ [a.name]: r.value })}::jsonb)`;
			return f.op === '=' ? has : sql`(not ${has})`;
		}
	}
	if (a.type === 'boolean' && ['=', '!='].includes(f.op)) {
		const r = checkValue(a, f.value);
		if (!r.ok) throw new UserError(`${a.name} ${r.error}.`);
		return sql`(${key} ${sql.raw(f.op === '=' ? '=' : '<>')} ${String(r.value)})`;
	}
	const v = a.indexed
		? sql`left(lower(${f.value}), ${sql.raw(String(TEXT_KEY_CHARS))})`
		: sql`lower(${f.value})`;
	if (f.op === '=') {
		// An indexed key holds the first TEXT_KEY_CHARS characters; a longer value also needs the whole one.
		const long = a.indexed && f.value.length * 3 > TEXT_KEY_CHARS;
		return sql`(${key} = ${v}${long ? sql` and lower(${value}) = lower(${f.value})` : sql``})`;
	}
	// Ranges compare keys too (case-insensitive); dates and datetimes are ISO strings: text order is time order.
	if (['<', '<=', '>', '>='].includes(f.op)) return sql`(${key} ${sql.raw(f.op)} ${v})`;
	return textCondition(value, f);
}

export const valueKey = (a: AttrDef) => sql.raw(valueKeySql(a.name, a.type, a.indexed, '"cmdb_cis"."data"'));

function textCondition(col: SQL, f: Filter): SQL {
	switch (f.op) {
		case '=':
			return sql`(lower(${col}) = lower(${f.value}))`;
		case '!=':
			return sql`(${col} is null or lower(${col}) <> lower(${f.value}))`;
		case '~':
			return sql`(${col} ilike ${'%' + likeEscape(f.value) + '%'})`;
		case '!~':
			return sql`(${col} is null or ${col} not ilike ${'%' + likeEscape(f.value) + '%'})`;
		case 'empty':
			return sql`(${col} is null)`;
		case 'set':
			return sql`(${col} is not null)`;
		default:
			// Dates and datetimes are ISO strings, so text order is time order.
			return sql`(${col} ${sql.raw(f.op)} ${f.value})`;
	}
}

/** to_tsquery input from free words: each word a prefix match, all words required. */
export function tsQuery(words: string[]): string {
	return words
		.flatMap((w) => w.split(/[^\p{L}\p{N}_]+/u))
		.filter(Boolean)
		.map((w) => `${w.toLowerCase()}:*`)
		.join(' & ');
}
