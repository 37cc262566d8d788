import { describe, expect, it } from 'vitest';
import { classTree, columnChoices, concreteClasses, defaultColumns, domainSides } from './model';
import type { AttrView, ClassView, DomainView, ModelView } from './types';
import { parseView, viewProps } from './view';

function attr(name: string, definedIn: string, type: AttrView['type'] = 'text', displayOrder = 0): AttrView {
	return {
		id: name.length * 100 + definedIn.length,
		name,
		label: name,
		type,
		required: false,
		unique: false,
		defaultValue: null,
		displayOrder,
		enumValues: null,
		refClass: null,
		description: '',
		manualPolicy: 'protect',
		indexed: false,
		definedIn
	};
}

let nextId = 1;
function cls(
	name: string,
	parent: string | null,
	lineage: string[],
	attributes: AttrView[],
	abstract = false
): ClassView {
	return {
		id: nextId++,
		name,
		label: name,
		description: '',
		parent,
		abstract,
		requireChangeMessage: false,
		builtIn: false,
		lineage,
		attributes
	};
}

function domain(name: string, source: string, target: string, fwd: string, rev: string): DomainView {
	return {
		id: nextId++,
		name,
		source,
		target,
		cardinality: '1:N',
		forwardLabel: fwd,
		reverseLabel: rev,
		containment: false,
		dependent: 'source',
		description: '',
		builtIn: false,
		attributes: []
	};
}

const tag = attr('assetTag', 'Item');
const notes = attr('notes', 'Item', 'longtext');
const model: ModelView = {
	classes: [
		cls('Item', null, ['Item'], [tag, notes], true),
		cls(
			'Computer',
			'Item',
			['Item', 'Computer'],
			[tag, notes, attr('hostname', 'Computer'), attr('ramMb', 'Computer', 'integer')]
		),
		cls(
			'Device',
			'Item',
			['Item', 'Device'],
			[tag, notes, attr('hostname', 'Device'), attr('rack', 'Device')]
		),
		cls('Room', null, ['Room'], [])
	],
	domains: [
		domain('RoomItems', 'Room', 'Item', 'contains', 'is in'),
		domain('Links', 'Computer', 'Computer', 'talks to', 'is talked to by')
	]
};
const [item, computer, , room] = model.classes;

describe('model questions', () => {
	it('builds the inheritance tree sorted by label', () => {
		const t = classTree(model.classes);
		expect(t.map((n) => n.cls.name)).toEqual(['Item', 'Room']);
		expect(t[0].children.map((n) => n.cls.name)).toEqual(['Computer', 'Device']);
	});

	it('offers the concrete subclasses of an abstract class for "New"', () => {
		expect(concreteClasses(model, 'Item').map((c) => c.name)).toEqual(['Computer', 'Device']);
		expect(concreteClasses(model, 'Room').map((c) => c.name)).toEqual(['Room']);
	});

	it('finds the relation types of a class through its lineage, from each side', () => {
		const sides = domainSides(model, computer).map(
			(s) => `${s.domain.name}:${s.side}:${s.label}:${s.otherClass}`
		);
		expect(sides).toEqual([
			'RoomItems:target:is in:Room',
			'Links:target:is talked to by:Computer',
			'Links:source:talks to:Computer'
		]);
		expect(domainSides(model, room).map((s) => s.label)).toEqual(['contains']);
	});

	it("offers a superclass list its own and its subclasses' attributes, once each, no long text", () => {
		expect(columnChoices(model, item).map((a) => a.name)).toEqual(['assetTag', 'hostname', 'ramMb', 'rack']);
		expect(defaultColumns(computer)).toEqual(['assetTag', 'hostname', 'ramMb']);
	});
});

describe('window props', () => {
	it('round-trips every view and falls back to all CIs', () => {
		for (const v of [
			{ view: 'all', q: 'class:Computer' },
			{ view: 'list', class: 'Computer' },
			{ view: 'new', class: 'Rack' },
			{ view: 'ci', id: 12, tab: 'history' },
			{ view: 'model', section: 'domains', class: null, domain: 'RoomItems' },
			{ view: 'tokens' }
		] as const) {
			expect(parseView(viewProps(v))).toEqual(v);
		}
		expect(parseView({})).toEqual({ view: 'all', q: '' });
		expect(parseView({ view: 'ci', id: 'x' })).toEqual({ view: 'all', q: '' });
		expect(parseView({ view: 'ci', id: 3, tab: 'bogus' })).toEqual({ view: 'ci', id: 3, tab: 'attributes' });
		// Switching views writes every key, so merged props never keep a stale id.
		expect(viewProps({ view: 'list', class: 'Room' })).toMatchObject({ id: null, tab: null, q: null });
	});
});
