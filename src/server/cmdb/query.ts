// Lists and search over CIs: class (with subclasses), attribute filters, full text, sort, paging.
import { and, asc, desc, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import { UserError } from '../errors';
import { listQuery, type Filter, type ListQuery } from '../../lib/protocol/cmdb';
import { parseSearch } from '../../lib/cmdb/search';
import { checkValue } from '../../lib/cmdb/values';
import { loadModel, type AttrDef, type ClassDef, type Model } from './model';

const NUMERIC = new Set(['integer', 'decimal', 'reference']);

function likeEscape(s: string): string {
	return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Every attribute called `name` in the classes searched (a superclass search spans its subclasses). */
function attrsNamed(m: Model, classes: ClassDef[], name: string): AttrDef[] {
	const n = name.toLowerCase();
	const out = new Map<number, AttrDef>();
	for (const c of classes) for (const a of c.attributes) if (a.name.toLowerCase() === n) out.set(a.id, a);
	return [...out.values()];
}

function filterSql(m: Model, classes: ClassDef[], f: Filter): SQL {
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
	if (f.op === 'empty') return sql`(${value} is null)`;
	if (f.op === 'set') return sql`(${value} is not null)`;
	if (NUMERIC.has(a.type) && !['~', '!~'].includes(f.op)) {
		const n = Number(f.value);
		if (!Number.isFinite(n)) throw new UserError(`${a.name} is a number; "${f.value}" is not.`);
		const num = sql`(case when jsonb_typeof(${cmdbCis.data}->${a.name}) = 'number' then (${cmdbCis.data}->>${a.name})::numeric end)`;
		return sql`(${num} ${sql.raw(f.op === '=' ? '=' : f.op === '!=' ? '<>' : f.op)} ${n})`;
	}
	if (a.type === 'boolean' && ['=', '!='].includes(f.op)) {
		const r = checkValue(a, f.value);
		if (!r.ok) throw new UserError(`${a.name} ${r.error}.`);
		return sql`(${value} ${sql.raw(f.op === '=' ? '=' : '<>')} ${String(r.value)})`;
	}
	return textCondition(value, f);
}

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
function tsQuery(words: string[]): string {
	return words
		.flatMap((w) => w.split(/[^\p{L}\p{N}_]+/u))
		.filter(Boolean)
		.map((w) => `${w.toLowerCase()}:*`)
		.join(' & ');
}

export interface ListResult {
	/** Matches in all pages; a lower bound when `totalExact` is false. */
	total: number;
	totalExact: boolean;
	items: {
		id: number;
		class: string;
		name: string;
		data: Record<string, unknown>;
		version: number;
		updatedAt: Date;
		missingSince: Date | null;
	}[];
}

/** How far past the current page a list counts its matches before it says "N+". */
export const COUNT_AHEAD = 1000;

/** The rows a list query selects and their order: shared by the list (one page) and the CSV export (all). */
export interface ListPlan {
	q: ReturnType<typeof listQuery.parse>;
	where: SQL | undefined;
	/** Sort expression then id, so paging is stable. */
	orderBy: SQL[];
}

export function listPlan(m: Model, query: ListQuery): ListPlan {
	const q = listQuery.parse(query);
	const parsed = parseSearch(q.q);
	const className = q.class || parsed.class;
	const root = className ? m.cls(className) : null;
	const classIds = root ? root.descendants : [...m.classes.keys()];
	const classes = classIds.map((id) => m.classById(id));
	const conds: SQL[] = [];
	if (root) conds.push(inArray(cmdbCis.classId, classIds));
	for (const f of [...q.filters, ...parsed.filters]) conds.push(filterSql(m, classes, f));
	const ts = tsQuery(parsed.text);
	if (ts) conds.push(sql`${cmdbCis.search} @@ to_tsquery('simple', ${ts})`);
	if (!q.includeMissing) conds.push(isNull(cmdbCis.missingSince));
	const where = conds.length ? and(...conds) : undefined;

	let order: SQL;
	const dir = q.dir === 'desc' ? desc : asc;
	const sortKey = q.sort.toLowerCase();
	if (sortKey === 'name') order = dir(cmdbCis.name);
	else if (sortKey === 'id') order = dir(cmdbCis.id);
	else if (sortKey === 'updatedat' || sortKey === 'updated') order = dir(cmdbCis.updatedAt);
	else if (sortKey === 'class') order = dir(cmdbCis.classId);
	else {
		const a = attrsNamed(m, classes, q.sort)[0];
		if (!a) throw new UserError(`Can't sort by "${q.sort}": no such attribute.`);
		const expr = NUMERIC.has(a.type)
			? sql`(case when jsonb_typeof(${cmdbCis.data}->${a.name}) = 'number' then (${cmdbCis.data}->>${a.name})::numeric end)`
			: sql`(${cmdbCis.data}->>${a.name})`;
		order = sql`${expr} ${sql.raw(q.dir === 'desc' ? 'desc nulls last' : 'asc nulls last')}`;
	}
	return { q, where, orderBy: [order, asc(cmdbCis.id)] };
}

export async function listCis(
	db: Db,
	query: ListQuery,
	model?: Model,
	opts: { count?: boolean } = {}
): Promise<ListResult> {
	const m = model ?? (await loadModel(db));
	const { q, where, orderBy } = listPlan(m, query);

	const rows = await db
		.select({
			id: cmdbCis.id,
			classId: cmdbCis.classId,
			name: cmdbCis.name,
			data: cmdbCis.data,
			version: cmdbCis.version,
			updatedAt: cmdbCis.updatedAt,
			missingSince: cmdbCis.missingSince
		})
		.from(cmdbCis)
		.where(where)
		.orderBy(...orderBy)
		.offset(q.offset)
		.limit(q.limit);
	// Counting every match of a common word costs more than the page itself: a short page already tells
	// the total, and otherwise counting stops COUNT_AHEAD past this page ("1,050+").
	let total = q.offset + rows.length;
	let totalExact = true;
	if (opts.count !== false && (rows.length === q.limit || (rows.length === 0 && q.offset > 0))) {
		const cap = q.offset + q.limit + COUNT_AHEAD;
		const capped = db
			.select({ one: sql`1` })
			.from(cmdbCis)
			.where(where)
			.limit(cap + 1)
			.as('capped');
		const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(capped);
		total = Math.min(n, cap);
		totalExact = n <= cap;
	} else if (opts.count === false && rows.length === q.limit) {
		totalExact = false;
	}
	return {
		total,
		totalExact,
		items: rows.map((r) => ({ ...r, class: m.classById(r.classId).name, classId: undefined }))
	};
}
