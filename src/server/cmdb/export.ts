// CSV export of a CMDB list, exactly as the list shows it: listCis does the filtering and ordering, this
// file pages through it and writes RFC 4180 CSV (id, class, name, then the chosen attributes).
import type { Db } from '../db/client';
import { UserError } from '../errors';
import { parseSearch } from '../../lib/cmdb/search';
import { formatValue } from '../../lib/cmdb/values';
import type { AttributeType } from '../../lib/protocol/cmdb';
import { csvField, csvRecord } from './csv';
import { loadModel, type ClassDef, type Model } from './model';
import { listCis, type ListResult } from './query';

/** listCis's largest page. */
const PAGE = 500;
/** Pages read ahead (PostgreSQL serves them in parallel; PGlite in turn). */
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
	const list = {
		class: c.name,
		q: query.q ?? '',
		sort: query.sort || 'name',
		dir: query.dir ?? 'asc',
		limit: PAGE
	} as const;

	// Per class: each column's type (or null when that class lacks the attribute).
	const types = new Map<string, (AttributeType | null)[]>();
	const typesFor = (cls: string) => {
		let t = types.get(cls);
		if (!t) {
			const def = m.cls(cls);
			t = attrCols.map((name) => m.attr(def, name)?.type ?? null);
			types.set(cls, t);
		}
		return t;
	};
	// Hot loop (rows × columns): one reused array of escaped fields per row, one join per row and page.
	const render = (page: ListResult): string => {
		const lines: string[] = new Array(page.items.length);
		const fields: string[] = new Array(columns.length);
		for (let n = 0; n < page.items.length; n++) {
			const ci = page.items[n];
			const t = typesFor(ci.class);
			fields[0] = String(ci.id);
			fields[1] = csvField(ci.class);
			fields[2] = csvField(ci.name);
			for (let i = 0; i < attrCols.length; i++) {
				const type = t[i];
				fields[i + 3] = type === null ? '' : csvField(formatValue(type, ci.data[attrCols[i]]));
			}
			lines[n] = fields.join(',') + '\r\n';
		}
		return lines.join('');
	};

	const first = await listCis(db, { ...list, offset: 0 }, m);
	async function* chunks(): AsyncGenerator<string, void, undefined> {
		yield csvRecord(columns);
		// Keep a few pages in flight, so the database reads the next ones while this one is written out.
		const pending: Promise<ListResult>[] = [];
		let next = first.items.length;
		let done = first.items.length < PAGE;
		const more = () => {
			while (pending.length < AHEAD && !done && (!first.totalExact || next < first.total)) {
				const page = listCis(db, { ...list, offset: next }, m, { count: false });
				page.catch(() => {}); // awaited below; this only keeps an abandoned export from an unhandled rejection
				pending.push(page);
				next += PAGE;
			}
		};
		more();
		if (first.items.length) yield render(first);
		while (pending.length) {
			const page = await pending.shift()!;
			// A short page is the last one (the first page's count may stop short of the real total).
			if (page.items.length < PAGE) done = true;
			more();
			if (page.items.length) yield render(page);
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
