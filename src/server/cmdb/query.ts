// Lists and search over CIs: class (with subclasses), attribute filters, full text, sort, paging.
import { and, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import { UserError } from '../errors';
import { listQuery, type ListQuery } from '../../lib/protocol/cmdb';
import { parseSearch } from '../../lib/cmdb/search';
import { loadVersionedModel, type Model } from './model';
import { attrsNamed, filterSql, tsQuery, valueKey } from './query-filters';

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
	/** The sort expression alone and its direction (`asc`, `desc`, `… nulls last`). */
	sortKey: SQL;
	sortDir: string;
	/** The query names a class: no plan ever reads more than that class's (and its subclasses') CIs. */
	classScoped: boolean;
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

	let sortKey: SQL;
	let sortDir: string = q.dir;
	const sortBy = q.sort.toLowerCase();
	if (sortBy === 'name') sortKey = sql`${cmdbCis.name}`;
	else if (sortBy === 'id') sortKey = sql`${cmdbCis.id}`;
	else if (sortBy === 'updatedat' || sortBy === 'updated') sortKey = sql`${cmdbCis.updatedAt}`;
	else if (sortBy === 'class') sortKey = sql`${cmdbCis.classId}`;
	else {
		const a = attrsNamed(m, classes, q.sort)[0];
		if (!a) throw new UserError(`Can't sort by "${q.sort}": no such attribute.`);
		sortKey = valueKey(a);
		sortDir += ' nulls last';
	}
	// Ties go by id in the same direction, so a descending list walks the same index backwards.
	const orderBy = [sql`${sortKey} ${sql.raw(sortDir)}`, sql`${cmdbCis.id} ${sql.raw(q.dir)}`];
	return { q, where, orderBy, sortKey, sortDir, classScoped: !!root };
}

type Versioned = { model: Model; instance: string | null; version: number | null };

/**
 * The model each database handle last listed with. A list checks its version inside its own statement, so
 * the usual call is one round trip; a stale model is noticed there and the list runs again.
 */
const lastModel = new WeakMap<Db, Versioned>();

export async function listCis(
	db: Db,
	query: ListQuery,
	model?: Model,
	opts: { count?: boolean } = {}
): Promise<ListResult> {
	if (model) return (await runList(db, { model, instance: null, version: null }, query, opts))!;
	const cached = lastModel.get(db);
	if (cached) {
		const r = await runList(db, cached, query, opts).catch((e) => {
			// A class or attribute the cached model lacks may be one another node just added: ask again below.
			if (e instanceof UserError) return null;
			throw e;
		});
		if (r) return r;
	}
	const v = await loadVersionedModel(db);
	lastModel.set(db, v);
	// Just read, so not checked again: an edit committed since is as if it came a moment after this list.
	return (await runList(db, { ...v, instance: null }, query, opts))!;
}

/** One list page and its (capped) total, or null when the model `v` is no longer the current one. */
async function runList(
	db: Db,
	v: Versioned,
	query: ListQuery,
	opts: { count?: boolean }
): Promise<ListResult | null> {
	const m = v.model;
	const plan = listPlan(m, query);
	const { q, where, orderBy } = plan;
	const count = opts.count !== false;
	const cap = q.offset + q.limit + COUNT_AHEAD;
	// Matches are found, ordered and counted as (id, sort key) pairs; only the page's rows are read in full
	// afterwards. Carrying every column through the sort costs more than the filter.
	const keys = () =>
		db
			.select({ id: cmdbCis.id, k: sql`${plan.sortKey}`.as('k') })
			.from(cmdbCis)
			.where(where)
			.$dynamic();
	const numbered = sql`(row_number() over (order by s.k ${sql.raw(plan.sortDir)}, s.id ${sql.raw(q.dir)}))::int`;
	const pageOnly = sql`select s.id, ${numbered} + ${q.offset} as rn, null::int as n
		from (${keys()
			.orderBy(...orderBy)
			.offset(q.offset)
			.limit(q.limit)}) s`;
	// One statement reads up to `cap + 1` matches, numbers them in list order, counts them, and keeps this
	// page's rows (and the last one, which carries the count): a separate count would read them all again.
	// Within a class they are the first `cap + 1` in list order, which an index on the sort often yields
	// without reading the rest. Across all classes, walking the name index until `cap + 1` matches would read
	// most of the table when matches are few, so they are any `cap + 1` in table order: when that is all of
	// them the page is exact, otherwise (a common word) the page is a second, short walk of the name index.
	const found = plan.classScoped ? keys().orderBy(...orderBy) : keys();
	const page = count
		? sql`select * from (select s.id, ${numbered} as rn, (count(*) over ())::int as n
				from (${found.limit(cap + 1)}) s) w
			where (w.rn > ${q.offset} and w.rn <= ${q.offset + q.limit}) or w.rn = w.n`
		: pageOnly;
	const full = (w: SQL, cond = sql``) => sql`${w} left join cmdb_cis c on c.id = w.id and w.rn > ${q.offset}
		and w.rn <= ${q.offset + q.limit} ${cond} order by w.rn`;
	const columns = sql`c.id, c.class_id, c.name, c.data, c.version, c.updated_at, c.missing_since, w.rn, w.n`;
	// The model version is read in the same statement (same snapshot) as the rows; no version row, no rows.
	let rows = await queryRows<RawRow>(
		db,
		v.instance === null
			? full(sql`select null::int as model_version, ${columns} from (${page}) w`)
			: full(
					sql`select mv.version as model_version, ${columns} from cmdb_model_version mv left join (${page}) w on true`,
					sql`where mv.instance = ${v.instance}`
				)
	);
	if (v.instance !== null && rows[0]?.model_version !== v.version) return null;
	const n = rows[0]?.n ?? 0;
	if (count && !plan.classScoped && n > cap)
		rows = await queryRows<RawRow>(db, full(sql`select ${columns} from (${pageOnly}) w`));
	const items = rows.filter((r) => r.id !== null).map((r) => toItem(m, r));
	return {
		total: count ? Math.min(n, cap) : q.offset + items.length,
		totalExact: count ? n <= cap : items.length < q.limit,
		items
	};
}

interface RawRow {
	model_version: number | null;
	id: number | null;
	class_id: number;
	name: string;
	data: Record<string, unknown>;
	version: number;
	updated_at: Date | string;
	missing_since: Date | string | null;
	rn: number;
	n: number | null;
}

const toDate = (d: Date | string) => (d instanceof Date ? d : new Date(d));

function toItem(m: Model, r: RawRow): ListResult['items'][number] {
	return {
		id: r.id!,
		class: m.classById(r.class_id).name,
		name: r.name,
		data: r.data,
		version: r.version,
		updatedAt: toDate(r.updated_at),
		missingSince: r.missing_since === null ? null : toDate(r.missing_since)
	};
}
