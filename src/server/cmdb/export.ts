// CSV export of a CMDB list, exactly as the list shows it: listPlan (shared with the list) does the filtering
// and ordering, this file pages through the rows and writes RFC 4180 CSV (id, class, name, then the chosen
// attributes; booleans as yes/no, as formatValue shows them).
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { cmdbCis } from '../db/schema';
import { UserError } from '../errors';
import { parseSearch } from '../../lib/cmdb/search';
import { csvRecord } from './csv';
import { loadModel, type ClassDef, type Model } from './model';
import { listPlan } from './query';

/** A text value as one CSV field (RFC 4180: quoted when it holds a quote, comma or line break; NULL is empty). */
function csvSql(v: SQL): SQL {
	return sql`coalesce(case when ${v} ~ '[",\r\n]' then '"' || replace(${v}, '"', '""') || '"' else ${v} end, '')`;
}

/** Records per query. */
const PAGE = 2000;
/** Batches read ahead (PostgreSQL serves them in parallel; PGlite in turn). */
const AHEAD = 4;

export interface ExportQuery {
	class?: string;
	q?: string;
	sort?: string;
	dir?: 'asc' | 'desc';
	/** Attribute names; empty means every attribute of the class, in display order. */
	columns?: string[];
}

export interface PreparedExport {
	className: string;
	/** `<class>-YYYY-MM-DD.csv` */
	filename: string;
	columns: string[];
	/** CSV text in chunks: the header record first, then about one page of rows per chunk. */
	chunks: AsyncGenerator<string, void, undefined>;
}

/** The column list: id, class, name, then attributes of the class or its subclasses, each once. */
function exportColumns(m: Model, c: ClassDef, asked: string[]): string[] {
	const known = new Map<string, string>();
	for (const id of c.descendants)
		for (const a of m.classById(id).attributes)
			if (!known.has(a.name.toLowerCase())) known.set(a.name.toLowerCase(), a.name);
	const wanted = asked.map((s) => s.trim()).filter(Boolean);
	const attrs = wanted.length ? wanted : c.attributes.map((a) => a.name);
	const out: string[] = [];
	for (const name of attrs) {
		const l = name.toLowerCase();
		if (l === 'id' || l === 'class' || l === 'name') continue;
		const canonical = known.get(l);
		if (!canonical) throw new UserError(`Can't export column "${name}": ${c.name} has no such attribute.`);
		if (!out.includes(canonical)) out.push(canonical);
	}
	return ['id', 'class', 'name', ...out];
}

/**
 * Checks the query and reads the first page (so a bad filter or sort fails before any byte is sent),
 * then yields the CSV page by page.
 */
export async function prepareExport(db: Db, query: ExportQuery, model?: Model): Promise<PreparedExport> {
	const m = model ?? (await loadModel(db));
	const className = query.class?.trim() || parseSearch(query.q ?? '').class;
	if (!className)
		throw new UserError('Choose the class to export (class=NAME, or class:NAME in the search).');
	const c = m.cls(className);
	const columns = exportColumns(m, c, query.columns ?? []);
	const attrCols = columns.slice(3);
	const plan = listPlan(m, {
		class: c.name,
		q: query.q ?? '',
		sort: query.sort || 'name',
		dir: query.dir ?? 'asc'
	});
	// PostgreSQL writes each record's fields after the class (name and attributes) as CSV itself, the way COPY
	// would: Node only adds the id and class and passes the text on. A column an exported class lacks is empty.
	const classIds = c.descendants;
	const fields: SQL[] = [csvSql(sql`${cmdbCis.name}`)];
	for (const name of attrCols) {
		const having = classIds.filter((id) => m.attr(m.classById(id), name));
		const type = m.attr(m.classById(having[0]), name)!.type;
		let v: SQL = sql`${cmdbCis.data}->>${name}`;
		if (type === 'boolean') v = sql`(case ${v} when 'true' then 'yes' when 'false' then 'no' end)`;
		let f = csvSql(v);
		if (having.length < classIds.length)
			f = sql`(case when ${cmdbCis.classId} in (${sql.join(having, sql`, `)}) then ${f} else '' end)`;
		fields.push(f);
	}
	// The matching ids in list order first (a bad filter or sort fails here, before any byte is sent), then
	// the records in batches by id: sorting and paging never carry the wide text along.
	const ids = (
		await db
			.select({ id: cmdbCis.id })
			.from(cmdbCis)
			.where(plan.where)
			.orderBy(...plan.orderBy)
	).map((r) => r.id);
	// One string per batch, in list order, each record ending in CRLF: PostgreSQL does what COPY would.
	const batch = async (part: number[]): Promise<string> => {
		const [r] = await queryRows<{ text: string | null }>(
			db,
			sql`select string_agg(cmdb_cis.id || ',' || ${csvSql(sql`k.name`)} || ',' || concat_ws(',', ${sql.join(fields, sql`, `)}), ${'\r\n'} order by u.ord) || ${'\r\n'} as text
				from unnest(${`{${part.join(',')}}`}::int[]) with ordinality as u(id, ord)
				join cmdb_cis on cmdb_cis.id = u.id
				join cmdb_classes k on k.id = cmdb_cis.class_id`
		);
		return r?.text ?? ''; // rows deleted since the ids were read are left out
	};

	async function* chunks(): AsyncGenerator<string, void, undefined> {
		yield csvRecord(columns);
		// Keep a few batches in flight, so the database reads the next ones while this one is written out.
		const pending: Promise<string>[] = [];
		let next = 0;
		const more = () => {
			while (pending.length < AHEAD && next < ids.length) {
				const text = batch(ids.slice(next, next + PAGE));
				text.catch(() => {}); // awaited below; this only keeps an abandoned export from an unhandled rejection
				pending.push(text);
				next += PAGE;
			}
		};
		more();
		while (pending.length) {
			const text = await pending.shift()!;
			more();
			if (text) yield text;
		}
	}
	const date = new Date().toISOString().slice(0, 10);
	return { className: c.name, filename: `${c.name}-${date}.csv`, columns, chunks: chunks() };
}

/** The whole export as one string (the CLI). */
export async function exportCsv(db: Db, query: ExportQuery): Promise<string> {
	const { chunks } = await prepareExport(db, query);
	let out = '';
	for await (const c of chunks) out += c;
	return out;
}
