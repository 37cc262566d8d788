// The CMDB search language, shared by the search box, the REST API and the CLI:
//   class:Computer os~debian ram>=8192 "rack 4" -> class filter, attribute filters, free text.
// Operators: = != ~ (contains) !~ > >= < <=; `attr:empty` and `attr:set` test presence.
import type { Filter, FilterOp } from '$lib/protocol/cmdb';

export interface ParsedSearch {
	class?: string;
	filters: Filter[];
	text: string[];
}

function tokens(q: string): string[] {
	const out: string[] = [];
	const re = /(?:[^\s"]+|"[^"]*")+/g;
	for (const m of q.matchAll(re)) out.push(m[0]);
	return out;
}

const unquote = (s: string) => s.replace(/"/g, '');

export function parseSearch(q: string): ParsedSearch {
	const out: ParsedSearch = { filters: [], text: [] };
	for (const tok of tokens(q)) {
		const cls = /^class:(.+)$/i.exec(tok);
		if (cls) {
			out.class = unquote(cls[1]);
			continue;
		}
		const presence = /^([A-Za-z][A-Za-z0-9_]*):(empty|set)$/i.exec(tok);
		if (presence) {
			out.filters.push({ attr: presence[1], op: presence[2].toLowerCase() as FilterOp, value: '' });
			continue;
		}
		const f = /^([A-Za-z][A-Za-z0-9_]*)(>=|<=|!=|!~|=|~|>|<)(.*)$/.exec(tok);
		if (f && f[3] !== '') {
			out.filters.push({ attr: f[1], op: f[2] as FilterOp, value: unquote(f[3]) });
			continue;
		}
		const word = unquote(tok).trim();
		if (word) out.text.push(word);
	}
	return out;
}
