// The list filter is text in the search language (`os~debian ramMb>=8192 words`), so what the filter
// builder adds is visible, editable, saved with the list and sent as is to the CSV export.
import { parseSearch } from '$lib/cmdb/search';
import type { Filter, FilterOp } from '$lib/protocol/cmdb';

export const OP_LABELS: Record<FilterOp, string> = {
	'=': 'is',
	'!=': 'is not',
	'~': 'contains',
	'!~': 'does not contain',
	'>': 'greater than',
	'>=': 'at least',
	'<': 'less than',
	'<=': 'at most',
	empty: 'is empty',
	set: 'has a value'
};

/** One filter as a search term. Double quotes can't be inside a value, so they are dropped. */
export function filterTerm(f: Filter): string {
	if (f.op === 'empty' || f.op === 'set') return `${f.attr}:${f.op}`;
	const value = f.value.replace(/"/g, '').trim();
	return `${f.attr}${f.op}${/\s/.test(value) || value === '' ? `"${value}"` : value}`;
}

export type Term =
	| { text: string; kind: 'class'; class: string }
	| { text: string; kind: 'filter'; filter: Filter }
	| { text: string; kind: 'word'; word: string };

/** The terms of a search, in order, as the server will read them. */
export function searchTerms(q: string): Term[] {
	const out: Term[] = [];
	for (const m of q.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) {
		const text = m[0];
		const p = parseSearch(text);
		if (p.class) out.push({ text, kind: 'class', class: p.class });
		else if (p.filters.length) out.push({ text, kind: 'filter', filter: p.filters[0] });
		else if (p.text.length) out.push({ text, kind: 'word', word: p.text.join(' ') });
	}
	return out;
}

/** q with term `index` (an index into searchTerms(q)) taken out. */
export function removeTerm(q: string, index: number): string {
	return searchTerms(q)
		.filter((_, i) => i !== index)
		.map((t) => t.text)
		.join(' ');
}

export function addTerm(q: string, term: string): string {
	const t = q.trim();
	return t ? `${t} ${term}` : term;
}

/** The CSV export of a list: the same class, search, order and columns as on screen. */
export function exportUrl(o: {
	class: string;
	q: string;
	sort: string;
	dir: 'asc' | 'desc';
	columns: string[];
}): string {
	const p = new URLSearchParams({
		class: o.class,
		q: o.q,
		sort: o.sort,
		dir: o.dir,
		columns: o.columns.join(',')
	});
	return `/api/cmdb/export.csv?${p.toString()}`;
}
