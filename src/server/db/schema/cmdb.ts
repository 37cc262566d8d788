import {
	bigserial,
	boolean,
	customType,
	index,
	integer,
	jsonb,
	pgTable,
	serial,
	text,
	timestamp,
	uniqueIndex,
	type AnyPgColumn
} from 'drizzle-orm/pg-core';
import { users } from './auth';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
	dataType: () => 'bytea',
	fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v))
});

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A CMDB class (CMDBuild "class"): single inheritance, possibly abstract. */
export const cmdbClasses = pgTable('cmdb_classes', {
	id: serial('id').primaryKey(),
	name: text('name').notNull().unique(),
	label: text('label').notNull(),
	description: text('description').notNull().default(''),
	parentId: integer('parent_id').references((): AnyPgColumn => cmdbClasses.id, { onDelete: 'restrict' }),
	abstract: boolean('abstract').notNull().default(false),
	/** Every change to a CI of this class must carry a change message. */
	requireChangeMessage: boolean('require_change_message').notNull().default(false),
	builtIn: boolean('built_in').notNull().default(false),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
});

/** A domain (relation type) between two classes, with a name for each direction. */
export const cmdbDomains = pgTable('cmdb_domains', {
	id: serial('id').primaryKey(),
	name: text('name').notNull().unique(),
	sourceClassId: integer('source_class_id')
		.notNull()
		.references(() => cmdbClasses.id, { onDelete: 'restrict' }),
	targetClassId: integer('target_class_id')
		.notNull()
		.references(() => cmdbClasses.id, { onDelete: 'restrict' }),
	/** '1:1', '1:N' (one source, many targets) or 'N:N'. */
	cardinality: text('cardinality').notNull(),
	forwardLabel: text('forward_label').notNull(),
	reverseLabel: text('reverse_label').notNull(),
	/** A containment domain may never form a cycle (a room can't contain its own building). */
	containment: boolean('containment').notNull().default(false),
	/** Impact analysis: which side is affected when the other fails ('source', 'target' or 'none'). */
	dependent: text('dependent').notNull().default('source'),
	description: text('description').notNull().default(''),
	builtIn: boolean('built_in').notNull().default(false)
});

/**
 * An attribute of a class, or of a domain (relation attributes). Values live in the owning row's `data`
 * JSON under `name`. A removed attribute is kept with `removedAt` so history can still name it.
 */
export const cmdbAttributes = pgTable(
	'cmdb_attributes',
	{
		id: serial('id').primaryKey(),
		classId: integer('class_id').references(() => cmdbClasses.id, { onDelete: 'cascade' }),
		domainId: integer('domain_id').references(() => cmdbDomains.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		label: text('label').notNull(),
		type: text('type').notNull(),
		required: boolean('required').notNull().default(false),
		unique: boolean('unique').notNull().default(false),
		defaultValue: jsonb('default_value'),
		displayOrder: integer('display_order').notNull().default(0),
		/** enum: the allowed values. */
		enumValues: jsonb('enum_values').$type<string[]>(),
		/** reference: the class the referenced CI must be of (or a subclass). */
		refClassId: integer('ref_class_id').references(() => cmdbClasses.id, { onDelete: 'set null' }),
		description: text('description').notNull().default(''),
		/** What inventory may do with a value an operator set by hand: 'protect' (default) or 'overwrite'. */
		manualPolicy: text('manual_policy').notNull().default('protect'),
		/** Class attributes only: CI lists filter and sort on it through an index (see cmdb/attribute-indexes.ts). */
		indexed: boolean('indexed').notNull().default(false),
		removedAt: timestamp('removed_at', { withTimezone: true })
	},
	(t) => [
		index('cmdb_attributes_class_idx').on(t.classId),
		index('cmdb_attributes_domain_idx').on(t.domainId)
	]
);

/** A configuration item (a "card"). */
export const cmdbCis = pgTable(
	'cmdb_cis',
	{
		id: serial('id').primaryKey(),
		classId: integer('class_id')
			.notNull()
			.references(() => cmdbClasses.id, { onDelete: 'restrict' }),
		name: text('name').notNull(),
		data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
		/** Attribute names an operator last set by hand; inventory leaves them alone (per attribute policy). */
		manual: jsonb('manual').$type<string[]>().notNull().default([]),
		/** Set by reconciliation when a previously discovered item was not seen any more. */
		missingSince: timestamp('missing_since', { withTimezone: true }),
		version: integer('version').notNull().default(1),
		search: tsvector('search'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		// A class list sorted by name walks this in order (either direction) and stops after the page.
		index('cmdb_cis_class_idx').on(t.classId, t.name, t.id),
		// Lists and searches across classes are ordered by name; without this a common word sorts every match.
		index('cmdb_cis_name_idx').on(t.name, t.id),
		// GIN indexes queue new entries in a pending list that every search reads through until VACUUM merges
		// it; PGlite has no autovacuum, so keep the list short (256 kB instead of 4 MB): searches stay fast and
		// inserts still go in batches.
		index('cmdb_cis_search_idx').using('gin', t.search).with({ gin_pending_list_limit: 256 }),
		index('cmdb_cis_data_idx').using('gin', t.data).with({ gin_pending_list_limit: 256 })
	]
);

export const cmdbRelations = pgTable(
	'cmdb_relations',
	{
		id: serial('id').primaryKey(),
		domainId: integer('domain_id')
			.notNull()
			.references(() => cmdbDomains.id, { onDelete: 'restrict' }),
		sourceId: integer('source_id')
			.notNull()
			.references(() => cmdbCis.id, { onDelete: 'cascade' }),
		targetId: integer('target_id')
			.notNull()
			.references(() => cmdbCis.id, { onDelete: 'cascade' }),
		data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('cmdb_relations_unique').on(t.domainId, t.sourceId, t.targetId),
		index('cmdb_relations_source_idx').on(t.sourceId),
		index('cmdb_relations_target_idx').on(t.targetId)
	]
);

/**
 * Append-only history of every CI and relation change. `state` is the full CI after the change, so the CI
 * as it was at any moment is one lookup; `changes` is {field: [before, after]} for diffs.
 */
export const cmdbHistory = pgTable(
	'cmdb_history',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		ciId: integer('ci_id').notNull(),
		classId: integer('class_id').notNull(),
		version: integer('version').notNull(),
		/** create | update | delete | relate | unrelate | missing | found */
		op: text('op').notNull(),
		at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
		actorId: integer('actor_id'),
		actorName: text('actor_name').notNull(),
		/** user | csv | api | inventory | system */
		source: text('source').notNull(),
		message: text('message').notNull().default(''),
		changes: jsonb('changes').$type<Record<string, [unknown, unknown]>>().notNull().default({}),
		state: jsonb('state').$type<{ name: string; classId: number; data: Record<string, unknown> } | null>(),
		relation: jsonb('relation').$type<{
			id: number;
			domainId: number;
			domain: string;
			label: string;
			otherId: number;
			otherName: string;
		} | null>()
	},
	(t) => [index('cmdb_history_ci_idx').on(t.ciId, t.id)]
);

export const cmdbDocuments = pgTable(
	'cmdb_documents',
	{
		id: serial('id').primaryKey(),
		ciId: integer('ci_id')
			.notNull()
			.references(() => cmdbCis.id, { onDelete: 'cascade' }),
		category: text('category').notNull(),
		/** The name to offer on download; never used as a path. */
		filename: text('filename').notNull(),
		contentType: text('content_type').notNull(),
		size: integer('size').notNull(),
		sha256: text('sha256').notNull(),
		content: bytea('content').notNull(),
		description: text('description').notNull().default(''),
		uploadedBy: text('uploaded_by').notNull(),
		uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('cmdb_documents_ci_idx').on(t.ciId)]
);

/** Per-user list settings: chosen columns, sort, filters. */
export const cmdbListPrefs = pgTable(
	'cmdb_list_prefs',
	{
		userId: integer('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		classId: integer('class_id')
			.notNull()
			.references(() => cmdbClasses.id, { onDelete: 'cascade' }),
		prefs: jsonb('prefs').$type<Record<string, unknown>>().notNull()
	},
	(t) => [uniqueIndex('cmdb_list_prefs_pk').on(t.userId, t.classId)]
);

/** The last CSV column mapping used for a class, offered again next time. */
export const cmdbImportMappings = pgTable('cmdb_import_mappings', {
	classId: integer('class_id')
		.primaryKey()
		.references(() => cmdbClasses.id, { onDelete: 'cascade' }),
	mapping: jsonb('mapping').$type<Record<string, string>>().notNull(),
	keyAttribute: text('key_attribute').notNull(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/** One row: bumped by every model change, so each node can cache the model and notice when it changed. */
export const cmdbModelVersion = pgTable('cmdb_model_version', {
	id: integer('id').primaryKey().default(1),
	version: integer('version').notNull().default(1),
	/** Random per database, so a cache never mixes up two databases at the same version. */
	instance: text('instance').notNull()
});
