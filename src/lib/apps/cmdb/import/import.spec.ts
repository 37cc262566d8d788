import { describe, expect, it } from 'vitest';
import { checkMapping, defaultKey, initialMapping, keyChoices, normaliseChanges } from './import';

const attrs = [
	{ name: 'name', label: 'Name', required: true, unique: false },
	{ name: 'assetTag', label: 'Asset tag', required: false, unique: true },
	{ name: 'hostname', label: 'Host name', required: false, unique: false },
	{ name: 'ramMb', label: 'RAM (MB)', required: false, unique: false }
];

const idChoice = { name: 'id', label: 'Id', required: false, unique: true };

describe('CSV import mapping', () => {
	it('prefers the earlier choice, then the remembered mapping, then the suggestion', () => {
		const m = initialMapping(['Name', 'Tag', 'Host', 'Notes'], attrs, [
			{ Host: '' },
			{ Tag: 'assetTag', Notes: 'gone' },
			{ Name: 'name', Host: 'hostname', Tag: 'hostname' }
		]);
		expect(m).toEqual({ Name: 'name', Tag: 'assetTag', Host: '', Notes: '' });
	});

	it('never maps one attribute twice', () => {
		const m = initialMapping(['a', 'b'], attrs, [{ a: 'hostname', b: 'hostname' }]);
		expect(m).toEqual({ a: 'hostname', b: '' });
	});

	it('requires a mapped key and no duplicates; warns without name', () => {
		const none = checkMapping({ a: 'hostname' }, 'name');
		expect(none.errors).toEqual([
			'The key “name” is not mapped to any column; map it or choose another key.'
		]);
		expect(none.warnings).toHaveLength(1);
		expect(checkMapping({ a: 'hostname', b: 'class' }, 'class').errors).toHaveLength(1);
		const p = checkMapping({ a: 'name', b: 'ramMb', c: 'ramMb' }, 'name');
		expect(p.errors).toEqual([]);
		expect(p.warnings).toEqual([]);
		expect(p.columns).toEqual({ c: '“ramMb” is already taken by column “b”.' });
		expect(checkMapping({ a: 'name', b: 'id' }, 'name').warnings).toEqual([
			'The id column is only used as the key; with another key it is ignored.'
		]);
	});

	it('chooses a unique mapped attribute as the default key', () => {
		expect(defaultKey({ a: 'name', b: 'assetTag' }, attrs)).toBe('assetTag');
		expect(defaultKey({ a: 'name', b: 'assetTag' }, attrs, 'name')).toBe('name');
		expect(defaultKey({ a: 'name' }, attrs, 'assetTag')).toBe('name');
		expect(defaultKey({ a: 'name', b: 'assetTag', c: 'id' }, [...attrs, idChoice])).toBe('id');
		expect(keyChoices({ a: 'hostname', b: 'name', c: 'assetTag' }, attrs).map((a) => a.name)).toEqual([
			'assetTag',
			'name',
			'hostname'
		]);
	});

	it('reads changes as arrays or records', () => {
		expect(normaliseChanges([{ field: 'ramMb', before: 1, after: 2 }])).toEqual([
			{ field: 'ramMb', before: 1, after: 2 }
		]);
		expect(normaliseChanges({ ramMb: { from: 1, to: 2 }, os: ['a', 'b'] })).toEqual([
			{ field: 'ramMb', before: 1, after: 2 },
			{ field: 'os', before: 'a', after: 'b' }
		]);
		expect(normaliseChanges(undefined)).toEqual([]);
	});
});
