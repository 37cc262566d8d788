import { describe, expect, it } from 'vitest';
import { parseSearch } from '$lib/cmdb/search';
import { addTerm, exportUrl, filterTerm, removeTerm, searchTerms } from './terms';

describe('filter terms', () => {
	it('writes terms the search parser reads back', () => {
		for (const f of [
			{ attr: 'os', op: '~' as const, value: 'red hat' },
			{ attr: 'ramMb', op: '>=' as const, value: '8192' },
			{ attr: 'serialNumber', op: 'empty' as const, value: '' },
			{ attr: 'status', op: '!=' as const, value: 'in use' }
		]) {
			expect(parseSearch(filterTerm(f)).filters).toEqual([f]);
		}
		expect(filterTerm({ attr: 'name', op: '=', value: 'say "hi"' })).toBe('name="say hi"');
	});

	it('lists, adds and removes terms', () => {
		const q = addTerm('class:Computer web', 'os~"red hat"');
		expect(q).toBe('class:Computer web os~"red hat"');
		const terms = searchTerms(q);
		expect(terms.map((t) => t.kind)).toEqual(['class', 'word', 'filter']);
		expect(removeTerm(q, 2)).toBe('class:Computer web');
		expect(removeTerm(q, 0)).toBe('web os~"red hat"');
		expect(addTerm('  ', 'a=1')).toBe('a=1');
	});

	it('builds the CSV export link', () => {
		const url = exportUrl({
			class: 'Computer',
			q: 'os~debian ramMb>=8192',
			sort: 'ramMb',
			dir: 'desc',
			columns: ['os', 'ramMb']
		});
		expect(url.startsWith('/api/cmdb/export.csv?')).toBe(true);
		const p = new URLSearchParams(url.split('?')[1]);
		expect(Object.fromEntries(p)).toEqual({
			class: 'Computer',
			q: 'os~debian ramMb>=8192',
			sort: 'ramMb',
			dir: 'desc',
			columns: 'os,ramMb'
		});
	});
});
