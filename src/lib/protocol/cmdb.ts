import { z } from 'zod';
export { patchSchema } from './patch';

/** Attribute types an administrator can give a class or domain attribute. */
export const ATTRIBUTE_TYPES = [
	'text',
	'longtext',
	'integer',
	'decimal',
	'boolean',
	'date',
	'datetime',
	'enum',
	'ip',
	'mac',
	'reference'
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export const ATTRIBUTE_TYPE_LABELS: Record<AttributeType, string> = {
	text: 'Text',
	longtext: 'Long text',
	integer: 'Integer',
	decimal: 'Decimal',
	boolean: 'Yes/no',
	date: 'Date',
	datetime: 'Date and time',
	enum: 'List of values',
	ip: 'IP address',
	mac: 'MAC address',
	reference: 'Reference to a CI'
};

export const CARDINALITIES = ['1:1', '1:N', 'N:N'] as const;
export type Cardinality = (typeof CARDINALITIES)[number];

/** Where a change came from; recorded with every history entry. */
export const CHANGE_SOURCES = ['user', 'csv', 'api', 'inventory', 'system'] as const;
export type ChangeSource = (typeof CHANGE_SOURCES)[number];

export const DOCUMENT_CATEGORIES = [
	'manual',
	'contract',
	'licence',
	'drawing',
	'screenshot',
	'photo',
	'report',
	'other'
] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];

/** Identifiers are what CSV headers, the REST API and search filters use. */
const identifier = (what: string) =>
	z
		.string()
		.trim()
		.min(1, `${what} name is required`)
		.max(63, `${what} name is at most 63 characters`)
		.regex(
			/^[A-Za-z][A-Za-z0-9_]*$/,
			`${what} name must start with a letter and use only letters, digits and _`
		);

export const classNameSchema = identifier('Class');
export const attributeNameSchema = identifier('Attribute').refine(
	(n) => !['id', 'name', 'class', 'version'].includes(n.toLowerCase()),
	'id, name, class and version are built into every CI; choose another attribute name'
);

export const classInput = z.object({
	name: classNameSchema,
	label: z.string().trim().max(100).optional(),
	description: z.string().max(2000).default(''),
	parent: z.string().nullable().default(null),
	abstract: z.boolean().default(false),
	requireChangeMessage: z.boolean().default(false)
});
export type ClassInput = z.input<typeof classInput>;

export const attributeFields = z.object({
	name: attributeNameSchema,
	label: z.string().trim().max(100).optional(),
	type: z.enum(ATTRIBUTE_TYPES, { message: `Type must be one of ${ATTRIBUTE_TYPES.join(', ')}` }),
	required: z.boolean().default(false),
	unique: z.boolean().default(false),
	defaultValue: z.unknown().optional(),
	displayOrder: z.number().int().min(0).max(10000).default(0),
	enumValues: z.array(z.string().trim().min(1).max(200)).max(500).optional(),
	refClass: z.string().optional(),
	description: z.string().max(2000).default(''),
	manualPolicy: z.enum(['protect', 'overwrite']).default('protect'),
	/** Class attributes: keep an index so lists filter (=, <, >) and sort on it without reading every CI. */
	indexed: z.boolean().default(false)
});

export const attributeInput = attributeFields
	.refine((a) => a.type !== 'enum' || (a.enumValues && a.enumValues.length > 0), {
		message: 'A list-of-values attribute needs at least one value',
		path: ['enumValues']
	})
	.refine((a) => a.type !== 'reference' || !!a.refClass, {
		message: 'A reference attribute needs the class it refers to',
		path: ['refClass']
	});
export type AttributeInput = z.input<typeof attributeInput>;

export const domainInput = z.object({
	name: identifier('Domain'),
	source: z.string().min(1, 'Choose the source class'),
	target: z.string().min(1, 'Choose the target class'),
	cardinality: z.enum(CARDINALITIES, { message: 'Cardinality must be 1:1, 1:N or N:N' }),
	forwardLabel: z.string().trim().min(1, 'Name the relation from the source side').max(100),
	reverseLabel: z.string().trim().min(1, 'Name the relation from the target side').max(100),
	containment: z.boolean().default(false),
	/** Which side is affected when the other fails, for impact analysis. */
	dependent: z.enum(['source', 'target', 'none']).default('source'),
	description: z.string().max(2000).default('')
});
export type DomainInput = z.input<typeof domainInput>;

export const ciValues = z.record(z.string(), z.unknown());

export const ciInput = z.object({
	class: z.string().min(1, 'Choose a class'),
	name: z.string().trim().min(1, 'a CI needs a name').max(300, 'at most 300 characters'),
	data: ciValues.default({}),
	message: z.string().max(2000).optional()
});
export type CiInput = z.input<typeof ciInput>;

export const ciPatch = z.object({
	id: z.number().int().positive(),
	name: z.string().trim().min(1, 'a CI needs a name').max(300).optional(),
	data: ciValues.default({}),
	message: z.string().max(2000).optional(),
	/** The version the editor started from; a concurrent edit is refused rather than silently lost. */
	expectedVersion: z.number().int().positive().optional()
});
export type CiPatch = z.input<typeof ciPatch>;

/** One filter in a list or search: attribute (or name), operator, value. */
export const FILTER_OPS = ['=', '!=', '~', '!~', '>', '>=', '<', '<=', 'empty', 'set'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];
export const filterSchema = z.object({
	attr: z.string().min(1).max(63),
	op: z.enum(FILTER_OPS),
	value: z.string().max(500).default('')
});
export type Filter = z.infer<typeof filterSchema>;

export const listQuery = z.object({
	class: z.string().optional(),
	/** Free text over name and text attributes, and `attr op value` terms (see parseSearch). */
	q: z.string().max(1000).default(''),
	filters: z.array(filterSchema).max(20).default([]),
	sort: z.string().max(63).default('name'),
	dir: z.enum(['asc', 'desc']).default('asc'),
	offset: z.number().int().min(0).default(0),
	limit: z.number().int().min(1).max(500).default(50),
	includeMissing: z.boolean().default(true)
});
export type ListQuery = z.input<typeof listQuery>;

export const relateInput = z.object({
	domain: z.string().min(1),
	sourceId: z.number().int().positive(),
	targetId: z.number().int().positive(),
	data: ciValues.default({}),
	message: z.string().max(2000).optional()
});
export type RelateInput = z.input<typeof relateInput>;
