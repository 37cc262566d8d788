// OpenAPI component schemas of the REST API's answers (request bodies come from the zod schemas the routes
// validate with). JSON Schema 2020-12, as OpenAPI 3.1 uses it.
import { ATTRIBUTE_TYPES, CARDINALITIES, CHANGE_SOURCES } from '../../lib/protocol/cmdb';
import { ERROR_CODES } from './errors';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const nullable = (s: Schema): Schema => ({ ...s, type: [s.type as string, 'null'] });
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
const obj = (properties: Record<string, Schema>, description?: string): Schema => ({
	type: 'object',
	...(description ? { description } : {}),
	properties,
	required: Object.keys(properties)
});
const values: Schema = {
	type: 'object',
	description: 'Attribute name → value, typed as the class declares (see GET /classes).',
	additionalProperties: true
};

export const schemas: Record<string, Schema> = {
	Error: obj({
		error: {
			type: 'object',
			properties: {
				code: { type: 'string', enum: ERROR_CODES },
				message: { type: 'string', description: 'A sentence saying what was wrong and what to do.' },
				fields: arrayOf(ref('FieldError'))
			},
			required: ['code', 'message']
		}
	}),
	FieldError: obj({
		field: { type: 'string', description: 'The field (attribute, body property or query parameter).' },
		message: str
	}),
	Index: obj({ name: str, version: str, fleetdesk: str, openapi: { type: 'string', format: 'uri' } }),
	OpenApiDocument: { type: 'object', description: 'This document.', additionalProperties: true },

	Attribute: obj({
		id: int,
		name: str,
		label: str,
		type: { type: 'string', enum: [...ATTRIBUTE_TYPES] },
		required: bool,
		unique: bool,
		defaultValue: { description: 'Value given to new CIs when none is sent.' },
		displayOrder: int,
		enumValues: nullable(arrayOf(str)),
		refClass: nullable({ ...str, description: 'For reference attributes: the class referred to.' }),
		description: str,
		manualPolicy: {
			type: 'string',
			enum: ['protect', 'overwrite'],
			description: 'Whether inventory may overwrite a value set by hand.'
		},
		indexed: { ...bool, description: 'Lists filter and sort on it through a database index.' },
		definedIn: nullable({
			...str,
			description: 'The class that defines it (an ancestor for inherited ones).'
		})
	}),
	Class: obj({
		id: int,
		name: str,
		label: str,
		description: str,
		parent: nullable(str),
		abstract: { ...bool, description: 'Abstract classes have no CIs of their own, only subclasses.' },
		requireChangeMessage: { ...bool, description: 'Changes need a `message`.' },
		builtIn: bool,
		lineage: { ...arrayOf(str), description: 'Root class first, this class last.' },
		attributes: arrayOf(ref('Attribute'))
	}),
	Domain: obj({
		id: int,
		name: str,
		source: { ...str, description: 'Source class.' },
		target: { ...str, description: 'Target class.' },
		cardinality: { type: 'string', enum: [...CARDINALITIES] },
		forwardLabel: str,
		reverseLabel: str,
		containment: bool,
		dependent: { type: 'string', enum: ['source', 'target', 'none'] },
		description: str,
		builtIn: bool,
		attributes: arrayOf(ref('Attribute'))
	}),
	Model: obj({ classes: arrayOf(ref('Class')), domains: arrayOf(ref('Domain')) }),

	CiSummary: obj({
		id: int,
		class: str,
		name: str,
		data: values,
		version: int,
		updatedAt: time,
		missingSince: nullable({ ...time, description: 'Set when inventory stopped finding it.' })
	}),
	CiPage: obj({
		items: arrayOf(ref('CiSummary')),
		total: {
			...int,
			description:
				'Matching CIs in all pages; when totalExact is false, counting stopped here (at least this many).'
		},
		totalExact: { type: 'boolean', description: 'Whether total is the exact count.' },
		limit: int,
		offset: int,
		next: nullable({ type: 'string', format: 'uri', description: 'The next page, or null on the last.' })
	}),
	CiRef: obj({ id: int, name: str, class: str }),
	CiRelation: obj({
		id: int,
		domainId: int,
		domain: str,
		label: { ...str, description: 'The relation read from this CI’s side: "contains" or "is in".' },
		side: { type: 'string', enum: ['source', 'target'] },
		other: ref('CiRef'),
		data: values,
		createdAt: time
	}),
	CiRelationList: obj({ items: arrayOf(ref('CiRelation')) }),
	Ci: obj({
		id: int,
		class: str,
		classLabel: str,
		lineage: arrayOf(str),
		name: str,
		data: values,
		manual: {
			...arrayOf(str),
			description: 'Attributes last set by hand (inventory does not overwrite them).'
		},
		missingSince: nullable(time),
		version: int,
		createdAt: time,
		updatedAt: time,
		relations: arrayOf(ref('CiRelation'))
	}),
	HistoryRelation: obj({ id: int, domainId: int, domain: str, label: str, otherId: int, otherName: str }),
	HistoryEntry: obj({
		id: int,
		ciId: int,
		classId: int,
		version: int,
		op: { type: 'string', enum: ['create', 'update', 'delete', 'relate', 'unrelate', 'missing', 'found'] },
		at: time,
		actorId: nullable(int),
		actorName: str,
		source: { type: 'string', enum: [...CHANGE_SOURCES] },
		message: str,
		changes: {
			type: 'object',
			description:
				'Field → [before, after]. In relation entries written by reconciliation (`relation` null): relation ' +
				'type → [list before, list after], each {domainId, label, relations: [{id, otherId, otherName, data?}]} ' +
				'or null.',
			additionalProperties: { type: 'array', minItems: 2, maxItems: 2 }
		},
		state: {
			oneOf: [obj({ name: str, classId: int, data: values }), { type: 'null' }],
			description: 'The whole CI after this change (null for relation changes and deletion).'
		},
		relation: { oneOf: [ref('HistoryRelation'), { type: 'null' }] }
	}),
	HistoryList: obj({ items: arrayOf(ref('HistoryEntry')) }),
	CiAt: obj({
		id: int,
		class: str,
		name: str,
		data: values,
		version: int,
		asOf: { ...time, description: 'Time of the last change at or before the moment asked for.' },
		relations: arrayOf(ref('HistoryRelation'))
	}),
	Impact: obj({
		root: int,
		nodes: arrayOf(
			obj({
				id: int,
				name: str,
				class: str,
				level: { ...int, description: 'Negative: it depends on them; positive: they depend on it.' },
				missing: bool
			})
		),
		edges: arrayOf(
			obj({
				id: int,
				from: { ...int, description: 'The CI that depends on `to`.' },
				to: int,
				domain: str,
				label: str
			})
		),
		truncated: bool
	}),
	Relation: obj({
		id: int,
		domain: str,
		label: { ...str, description: 'Read from source to target.' },
		reverseLabel: str,
		source: ref('CiRef'),
		target: ref('CiRef'),
		data: values,
		createdAt: time
	})
};
