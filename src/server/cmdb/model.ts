// The CMDB data model: classes (single inheritance), attributes and domains, loaded as one immutable
// snapshot per operation. Model edits live here too; each is audited and never loses CI data.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
	cmdbAttributes,
	cmdbCis,
	cmdbClasses,
	cmdbDomains,
	cmdbHistory,
	cmdbModelVersion,
	cmdbRelations
} from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import {
	attributeInput,
	classInput,
	domainInput,
	patchSchema,
	type AttributeInput,
	type AttributeType,
	type Cardinality,
	type ClassInput,
	type DomainInput
} from '../../lib/protocol/cmdb';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';

export interface AttrDef {
	id: number;
	classId: number | null;
	domainId: number | null;
	name: string;
	label: string;
	type: AttributeType;
	required: boolean;
	unique: boolean;
	defaultValue: unknown;
	displayOrder: number;
	enumValues: string[] | null;
	refClassId: number | null;
	description: string;
	manualPolicy: 'protect' | 'overwrite';
	/** The class that defines it (for inherited attributes, an ancestor). */
	definedIn: string | null;
}

export interface ClassDef {
	id: number;
	name: string;
	label: string;
	description: string;
	parentId: number | null;
	abstract: boolean;
	requireChangeMessage: boolean;
	builtIn: boolean;
	/** Root first, this class last. */
	lineage: number[];
	/** This class and all its subclasses. */
	descendants: number[];
	/** Own and inherited active attributes, in display order. */
	attributes: AttrDef[];
}

export interface DomainDef {
	id: number;
	name: string;
	sourceClassId: number;
	targetClassId: number;
	cardinality: Cardinality;
	forwardLabel: string;
	reverseLabel: string;
	containment: boolean;
	dependent: 'source' | 'target' | 'none';
	description: string;
	builtIn: boolean;
	attributes: AttrDef[];
}

export class Model {
	readonly classes = new Map<number, ClassDef>();
	readonly domains = new Map<number, DomainDef>();
	/** Every attribute ever defined, removed ones included, by id (history shows their labels). */
	readonly allAttributes = new Map<number, AttrDef & { removed: boolean }>();
	#byName = new Map<string, ClassDef>();
	#domainByName = new Map<string, DomainDef>();

	constructor(
		classRows: (typeof cmdbClasses.$inferSelect)[],
		attrRows: (typeof cmdbAttributes.$inferSelect)[],
		domainRows: (typeof cmdbDomains.$inferSelect)[]
	) {
		for (const c of classRows) {
			const def: ClassDef = { ...c, lineage: [], descendants: [], attributes: [] };
			this.classes.set(c.id, def);
			this.#byName.set(c.name.toLowerCase(), def);
		}
		for (const c of this.classes.values()) {
			const lineage: number[] = [];
			for (
				let cur: ClassDef | undefined = c;
				cur;
				cur = cur.parentId ? this.classes.get(cur.parentId) : undefined
			) {
				if (lineage.includes(cur.id)) break; // a cycle can't be created, but never loop forever
				lineage.unshift(cur.id);
			}
			c.lineage = lineage;
			for (const id of lineage) this.classes.get(id)!.descendants.push(c.id);
		}
		const own = new Map<number, AttrDef[]>();
		const domainAttrs = new Map<number, AttrDef[]>();
		for (const a of attrRows) {
			const def: AttrDef = {
				id: a.id,
				classId: a.classId,
				domainId: a.domainId,
				name: a.name,
				label: a.label,
				type: a.type as AttributeType,
				required: a.required,
				unique: a.unique,
				defaultValue: a.defaultValue ?? null,
				displayOrder: a.displayOrder,
				enumValues: a.enumValues ?? null,
				refClassId: a.refClassId,
				description: a.description,
				manualPolicy: a.manualPolicy === 'overwrite' ? 'overwrite' : 'protect',
				definedIn: a.classId ? (this.classes.get(a.classId)?.name ?? null) : null
			};
			this.allAttributes.set(a.id, { ...def, removed: a.removedAt !== null });
			if (a.removedAt) continue;
			if (a.classId) own.set(a.classId, [...(own.get(a.classId) ?? []), def]);
			if (a.domainId) domainAttrs.set(a.domainId, [...(domainAttrs.get(a.domainId) ?? []), def]);
		}
		for (const c of this.classes.values()) {
			c.attributes = c.lineage
				.flatMap((id) => own.get(id) ?? [])
				.sort((a, b) => a.displayOrder - b.displayOrder || a.id - b.id);
		}
		for (const d of domainRows) {
			const def: DomainDef = {
				...d,
				cardinality: d.cardinality as Cardinality,
				dependent: (['source', 'target', 'none'].includes(d.dependent) ? d.dependent : 'source') as
					'source' | 'target' | 'none',
				attributes: (domainAttrs.get(d.id) ?? []).sort((a, b) => a.displayOrder - b.displayOrder)
			};
			this.domains.set(d.id, def);
			this.#domainByName.set(d.name.toLowerCase(), def);
		}
	}

	findClass(name: string): ClassDef | undefined {
		return this.#byName.get(name.trim().toLowerCase());
	}

	/** The class named, or an error that says which names exist. */
	cls(name: string): ClassDef {
		const c = this.findClass(name);
		if (!c) throw new UserError(`There is no class "${name}".`, 'NOT_FOUND');
		return c;
	}

	classById(id: number): ClassDef {
		const c = this.classes.get(id);
		if (!c) throw new UserError(`There is no class with id ${id}.`, 'NOT_FOUND');
		return c;
	}

	findDomain(name: string): DomainDef | undefined {
		return this.#domainByName.get(name.trim().toLowerCase());
	}

	domain(name: string): DomainDef {
		const d = this.findDomain(name);
		if (!d) throw new UserError(`There is no relation type (domain) "${name}".`, 'NOT_FOUND');
		return d;
	}

	isA(classId: number, ancestorId: number): boolean {
		return this.classes.get(classId)?.lineage.includes(ancestorId) ?? false;
	}

	attr(c: ClassDef, name: string): AttrDef | undefined {
		const n = name.toLowerCase();
		return c.attributes.find((a) => a.name.toLowerCase() === n);
	}

	/** Domains a CI of this class can take part in, with the side it is on. */
	domainsFor(classId: number): { domain: DomainDef; side: 'source' | 'target' }[] {
		const out: { domain: DomainDef; side: 'source' | 'target' }[] = [];
		for (const d of this.domains.values()) {
			if (this.isA(classId, d.sourceClassId)) out.push({ domain: d, side: 'source' });
			if (this.isA(classId, d.targetClassId)) out.push({ domain: d, side: 'target' });
		}
		return out;
	}
}

const cache = new Map<string, { version: number; model: Model }>();

/**
 * The model, from this process's cache when no model change happened since (one small query), else loaded.
 * Versions come from a sequence, so a version seen inside a transaction that rolled back is never reused.
 */
export async function loadModel(db: Db): Promise<Model> {
	const [v] = await db.select().from(cmdbModelVersion).limit(1);
	const hit = v ? cache.get(v.instance) : undefined;
	if (v && hit && hit.version === v.version) return hit.model;
	const model = await readModel(db);
	if (v) cache.set(v.instance, { version: v.version, model });
	return model;
}

async function readModel(db: Db): Promise<Model> {
	// One after another: inside a transaction `db` is a single connection, which must not run two at once.
	const classRows = await db.select().from(cmdbClasses).orderBy(asc(cmdbClasses.id));
	const attrRows = await db.select().from(cmdbAttributes).orderBy(asc(cmdbAttributes.id));
	const domainRows = await db.select().from(cmdbDomains).orderBy(asc(cmdbDomains.id));
	return new Model(classRows, attrRows, domainRows);
}

/** The model as the desktop and the REST API show it. */
export function describeModel(m: Model) {
	const attr = (a: AttrDef) => ({
		id: a.id,
		name: a.name,
		label: a.label,
		type: a.type,
		required: a.required,
		unique: a.unique,
		defaultValue: a.defaultValue,
		displayOrder: a.displayOrder,
		enumValues: a.enumValues,
		refClass: a.refClassId ? (m.classes.get(a.refClassId)?.name ?? null) : null,
		description: a.description,
		manualPolicy: a.manualPolicy,
		definedIn: a.definedIn
	});
	return {
		classes: [...m.classes.values()].map((c) => ({
			id: c.id,
			name: c.name,
			label: c.label,
			description: c.description,
			parent: c.parentId ? m.classes.get(c.parentId)!.name : null,
			abstract: c.abstract,
			requireChangeMessage: c.requireChangeMessage,
			builtIn: c.builtIn,
			lineage: c.lineage.map((id) => m.classes.get(id)!.name),
			attributes: c.attributes.map(attr)
		})),
		domains: [...m.domains.values()].map((d) => ({
			id: d.id,
			name: d.name,
			source: m.classes.get(d.sourceClassId)!.name,
			target: m.classes.get(d.targetClassId)!.name,
			cardinality: d.cardinality,
			forwardLabel: d.forwardLabel,
			reverseLabel: d.reverseLabel,
			containment: d.containment,
			dependent: d.dependent,
			description: d.description,
			builtIn: d.builtIn,
			attributes: d.attributes.map(attr)
		}))
	};
}
export type ModelView = ReturnType<typeof describeModel>;

type Tx = Db;
/** A model edit: every one bumps the model version, so every node's cache notices. */
async function tx<T>(db: Db, fn: (t: Tx) => Promise<T>): Promise<T> {
	return db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		const result = await fn(t);
		await t.execute(sql`update cmdb_model_version set version = nextval('cmdb_model_version_seq')`);
		return result;
	});
}

/** Serialises model edits (and the unique checks that depend on the model) across app nodes. */
export async function lockModel(t: Db): Promise<void> {
	await t.execute(sql`select pg_advisory_xact_lock(7263001)`);
}

async function countCis(t: Db, classIds: number[]): Promise<number> {
	if (!classIds.length) return 0;
	const [{ n }] = await t
		.select({ n: sql<number>`count(*)::int` })
		.from(cmdbCis)
		.where(sql`${cmdbCis.classId} in (${sql.join(classIds, sql`, `)})`);
	return n;
}

// ---------------------------------------------------------------- classes

export async function createClass(db: Db, actor: Actor, input: ClassInput, builtIn = false): Promise<number> {
	const v = classInput.parse(input);
	return tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		if (m.findClass(v.name)) throw new UserError(`A class named "${v.name}" already exists.`, 'CONFLICT');
		const parent = v.parent ? m.cls(v.parent) : null;
		const [row] = await t
			.insert(cmdbClasses)
			.values({
				name: v.name,
				label: v.label || v.name,
				description: v.description,
				parentId: parent?.id ?? null,
				abstract: v.abstract,
				requireChangeMessage: v.requireChangeMessage,
				builtIn
			})
			.returning();
		await audit(t, actor, {
			action: 'cmdb.class.create',
			targetType: 'cmdb-class',
			targetId: row.id,
			targetName: row.name,
			after: v
		});
		return row.id;
	});
}

export const classPatch = patchSchema(classInput);

export async function updateClass(
	db: Db,
	actor: Actor,
	id: number,
	patch: Partial<ClassInput>
): Promise<void> {
	const v = classPatch.parse(patch);
	await tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const c = m.classById(id);
		const set: Partial<typeof cmdbClasses.$inferInsert> = {};
		if (v.name !== undefined && v.name !== c.name) {
			const other = m.findClass(v.name);
			if (other && other.id !== id)
				throw new UserError(`A class named "${v.name}" already exists.`, 'CONFLICT');
			set.name = v.name;
		}
		if (v.label !== undefined) set.label = v.label || v.name || c.name;
		if (v.description !== undefined) set.description = v.description;
		if (v.requireChangeMessage !== undefined) set.requireChangeMessage = v.requireChangeMessage;
		if (v.abstract !== undefined && v.abstract !== c.abstract) {
			if (v.abstract && (await countCis(t, [id])))
				throw new UserError(
					`${c.name} has CIs of its own, so it can't become abstract; move or delete them first.`,
					'CONFLICT'
				);
			set.abstract = v.abstract;
		}
		if (v.parent !== undefined) {
			const parent = v.parent ? m.cls(v.parent) : null;
			if ((parent?.id ?? null) !== c.parentId) {
				if (parent && m.isA(parent.id, id))
					throw new UserError(
						`${parent.name} is a subclass of ${c.name}; a class can't inherit from itself.`
					);
				if (await countCis(t, c.descendants))
					throw new UserError(
						`${c.name} (or a subclass) has CIs; changing its parent would change their attributes. Move the CIs first.`,
						'CONFLICT'
					);
				set.parentId = parent?.id ?? null;
			}
		}
		if (!Object.keys(set).length) return;
		await t.update(cmdbClasses).set(set).where(eq(cmdbClasses.id, id));
		await audit(t, actor, {
			action: 'cmdb.class.update',
			targetType: 'cmdb-class',
			targetId: id,
			targetName: c.name,
			before: {
				name: c.name,
				label: c.label,
				abstract: c.abstract,
				requireChangeMessage: c.requireChangeMessage
			},
			after: set
		});
	});
}

export async function deleteClass(db: Db, actor: Actor, id: number): Promise<void> {
	await tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const c = m.classById(id);
		const subs = [...m.classes.values()].filter((x) => x.parentId === id);
		if (subs.length)
			throw new UserError(
				`${c.name} has subclasses (${subs.map((s) => s.name).join(', ')}); delete them first.`,
				'CONFLICT'
			);
		const n = await countCis(t, [id]);
		if (n) throw new UserError(`${c.name} has ${n} CI(s); delete or move them first.`, 'CONFLICT');
		const doms = [...m.domains.values()].filter((d) => d.sourceClassId === id || d.targetClassId === id);
		if (doms.length)
			throw new UserError(
				`${c.name} is used by relation types ${doms.map((d) => d.name).join(', ')}; delete them first.`,
				'CONFLICT'
			);
		const refs = [...m.allAttributes.values()].filter((a) => !a.removed && a.refClassId === id);
		if (refs.length)
			throw new UserError(
				`Attributes refer to ${c.name} (${refs.map((a) => `${a.definedIn}.${a.name}`).join(', ')}); change them first.`,
				'CONFLICT'
			);
		await t.delete(cmdbClasses).where(eq(cmdbClasses.id, id));
		await audit(t, actor, {
			action: 'cmdb.class.delete',
			targetType: 'cmdb-class',
			targetId: id,
			targetName: c.name,
			before: { name: c.name }
		});
	});
}

// ---------------------------------------------------------------- attributes

type Owner = { classId: number } | { domainId: number };

function ownerClasses(m: Model, owner: Owner): { label: string; classIds: number[]; siblings: AttrDef[] } {
	if ('classId' in owner) {
		const c = m.classById(owner.classId);
		// Names must be unique along the whole inheritance line: ancestors and every subclass.
		const related = new Set([...c.lineage, ...c.descendants]);
		const siblings = [...m.classes.values()]
			.filter((x) => related.has(x.id))
			.flatMap((x) => x.attributes)
			.filter((a, i, all) => all.findIndex((b) => b.id === a.id) === i);
		return { label: c.name, classIds: c.descendants, siblings };
	}
	const d = [...m.domains.values()].find((x) => x.id === owner.domainId);
	if (!d) throw new UserError(`There is no relation type with id ${owner.domainId}.`, 'NOT_FOUND');
	return { label: d.name, classIds: [], siblings: d.attributes };
}

function checkDefault(v: ReturnType<typeof attributeInput.parse>): unknown {
	if (v.defaultValue === undefined || isEmptyValue(v.defaultValue)) return null;
	const r = checkValue({ name: v.name, type: v.type, enumValues: v.enumValues }, v.defaultValue);
	if (!r.ok) throw new UserError(`Default value of ${v.name} ${r.error}.`);
	return r.value;
}

export async function addAttribute(
	db: Db,
	actor: Actor,
	owner: Owner,
	input: AttributeInput
): Promise<number> {
	const v = attributeInput.parse(input);
	return tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const { label, classIds, siblings } = ownerClasses(m, owner);
		if (siblings.some((a) => a.name.toLowerCase() === v.name.toLowerCase()))
			throw new UserError(
				`${label} (or a class it inherits from or passes on to) already has an attribute "${v.name}".`,
				'CONFLICT'
			);
		const refClass = v.type === 'reference' ? m.cls(v.refClass!) : null;
		const def = checkDefault(v);
		const existing = 'classId' in owner ? await countCis(t, classIds) : 0;
		if (v.required && def === null && existing)
			throw new UserError(
				`${label} already has ${existing} CI(s) without a value for ${v.name}; give the attribute a default value, or make it optional.`
			);
		if (v.unique && def !== null && existing > 1)
			throw new UserError(
				`${v.name} can't be unique with a default value: ${existing} existing CIs would share it.`
			);
		const [row] = await t
			.insert(cmdbAttributes)
			.values({
				classId: 'classId' in owner ? owner.classId : null,
				domainId: 'domainId' in owner ? owner.domainId : null,
				name: v.name,
				label: v.label || v.name,
				type: v.type,
				required: v.required,
				unique: v.unique,
				defaultValue: def,
				displayOrder: v.displayOrder,
				enumValues: v.type === 'enum' ? v.enumValues : null,
				refClassId: refClass?.id ?? null,
				description: v.description,
				manualPolicy: v.manualPolicy
			})
			.returning();
		// Existing CIs take the default, so a new required attribute is satisfied everywhere. Each gets a
		// version and a history entry like any other change, so point-in-time views stay exact.
		if (def !== null && existing) {
			const filled = await t
				.update(cmdbCis)
				.set({
					data: sql`${cmdbCis.data} || ${JSON.stringify({ [v.name]: def })}::jsonb`,
					version: sql`${cmdbCis.version} + 1`,
					updatedAt: new Date()
				})
				.where(
					sql`${cmdbCis.classId} in (${sql.join(classIds, sql`, `)}) and not (${cmdbCis.data} ? ${v.name})`
				)
				.returning({
					id: cmdbCis.id,
					classId: cmdbCis.classId,
					version: cmdbCis.version,
					name: cmdbCis.name,
					data: cmdbCis.data
				});
			for (let i = 0; i < filled.length; i += 1000) {
				await t.insert(cmdbHistory).values(
					filled.slice(i, i + 1000).map((ci) => ({
						ciId: ci.id,
						classId: ci.classId,
						version: ci.version,
						op: 'update',
						actorId: actor.id,
						actorName: actor.name,
						source: 'system',
						message: `Attribute ${v.name} added to class ${label} with default value ${JSON.stringify(def)}`,
						changes: { [v.name]: [null, def] as [unknown, unknown] },
						state: { name: ci.name, classId: ci.classId, data: ci.data }
					}))
				);
			}
		}
		await audit(t, actor, {
			action: 'cmdb.attribute.create',
			targetType: 'cmdb-attribute',
			targetId: row.id,
			targetName: `${label}.${v.name}`,
			after: v
		});
		return row.id;
	});
}

/** Changes an attribute. A type change converts every existing value, or is refused naming the first that can't be. */
export async function updateAttribute(
	db: Db,
	actor: Actor,
	id: number,
	patch: Partial<AttributeInput>
): Promise<void> {
	await tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const a = m.allAttributes.get(id);
		if (!a || a.removed) throw new UserError(`There is no attribute with id ${id}.`, 'NOT_FOUND');
		const owner: Owner = a.classId ? { classId: a.classId } : { domainId: a.domainId! };
		const merged = attributeInput.parse({
			name: a.name,
			label: a.label,
			type: a.type,
			required: a.required,
			unique: a.unique,
			defaultValue: a.defaultValue ?? undefined,
			displayOrder: a.displayOrder,
			enumValues: a.enumValues ?? undefined,
			refClass: a.refClassId ? m.classes.get(a.refClassId)?.name : undefined,
			description: a.description,
			manualPolicy: a.manualPolicy,
			...Object.fromEntries(Object.entries(patch).filter(([, x]) => x !== undefined))
		});
		const { label, classIds, siblings } = ownerClasses(m, owner);
		const renamed = merged.name !== a.name;
		if (renamed && siblings.some((s) => s.id !== id && s.name.toLowerCase() === merged.name.toLowerCase()))
			throw new UserError(`${label} already has an attribute "${merged.name}".`, 'CONFLICT');
		const refClass = merged.type === 'reference' ? m.cls(merged.refClass!) : null;
		const def = checkDefault(merged);

		// Re-check (and convert) every stored value under the new rules.
		const table = a.classId ? cmdbCis : cmdbRelations;
		const rows: { id: number; data: Record<string, unknown> }[] = a.classId
			? classIds.length
				? await t
						.select({ id: cmdbCis.id, data: cmdbCis.data })
						.from(cmdbCis)
						.where(sql`${cmdbCis.classId} in (${sql.join(classIds, sql`, `)})`)
				: []
			: await t
					.select({ id: cmdbRelations.id, data: cmdbRelations.data })
					.from(cmdbRelations)
					.where(eq(cmdbRelations.domainId, a.domainId!));
		const seen = new Map<string, number>();
		const updates: { id: number; data: Record<string, unknown> }[] = [];
		for (const r of rows) {
			const raw = r.data[a.name];
			let value: unknown = raw ?? null;
			if (!isEmptyValue(raw)) {
				const c = checkValue({ name: merged.name, type: merged.type, enumValues: merged.enumValues }, raw);
				if (!c.ok)
					throw new UserError(
						`Can't change ${a.name}: the value of ${a.classId ? 'CI' : 'relation'} #${r.id} ${c.error.replace(/^must/, 'would have to')}.`,
						'CONFLICT'
					);
				value = c.value;
			}
			if (isEmptyValue(value) && merged.required && def === null)
				throw new UserError(
					`Can't make ${merged.name} required: #${r.id} has no value. Give a default value.`,
					'CONFLICT'
				);
			if (isEmptyValue(value) && merged.required) value = def;
			if (merged.unique && !isEmptyValue(value)) {
				const key = String(value).toLowerCase();
				if (seen.has(key))
					throw new UserError(
						`Can't make ${merged.name} unique: #${seen.get(key)} and #${r.id} share the value "${value}".`,
						'CONFLICT'
					);
				seen.set(key, r.id);
			}
			if (renamed || value !== raw) {
				const data = { ...r.data };
				delete data[a.name];
				if (!isEmptyValue(value)) data[merged.name] = value;
				updates.push({ id: r.id, data });
			}
		}
		for (const u of updates) {
			await t.update(table).set({ data: u.data }).where(eq(table.id, u.id));
		}
		await t
			.update(cmdbAttributes)
			.set({
				name: merged.name,
				label: merged.label || merged.name,
				type: merged.type,
				required: merged.required,
				unique: merged.unique,
				defaultValue: def,
				displayOrder: merged.displayOrder,
				enumValues: merged.type === 'enum' ? merged.enumValues : null,
				refClassId: refClass?.id ?? null,
				description: merged.description,
				manualPolicy: merged.manualPolicy
			})
			.where(eq(cmdbAttributes.id, id));
		await audit(t, actor, {
			action: 'cmdb.attribute.update',
			targetType: 'cmdb-attribute',
			targetId: id,
			targetName: `${label}.${a.name}`,
			before: { name: a.name, type: a.type, required: a.required, unique: a.unique, label: a.label },
			after: {
				name: merged.name,
				type: merged.type,
				required: merged.required,
				unique: merged.unique,
				label: merged.label
			}
		});
	});
}

/**
 * Removes an attribute from the model. When CIs have values for it, `confirm` must be true: each such CI
 * gets a history entry holding the old value, so nothing is lost.
 */
export async function removeAttribute(
	db: Db,
	actor: Actor,
	id: number,
	confirm = false
): Promise<{ removed: boolean; valuesKept: number }> {
	return tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const a = m.allAttributes.get(id);
		if (!a || a.removed) throw new UserError(`There is no attribute with id ${id}.`, 'NOT_FOUND');
		const owner: Owner = a.classId ? { classId: a.classId } : { domainId: a.domainId! };
		const { label, classIds } = ownerClasses(m, owner);
		if (a.classId) {
			const withValue = classIds.length
				? await t
						.select()
						.from(cmdbCis)
						.where(
							sql`${cmdbCis.classId} in (${sql.join(classIds, sql`, `)}) and ${cmdbCis.data} ? ${a.name}`
						)
				: [];
			if (withValue.length && !confirm)
				throw new UserError(
					`${withValue.length} CI(s) of ${label} have a value for ${a.name}. Confirm to remove it: the values stay in each CI's history.`,
					'CONFLICT'
				);
			for (const ci of withValue) {
				const data = { ...ci.data };
				const before = data[a.name];
				delete data[a.name];
				const version = ci.version + 1;
				await t.update(cmdbCis).set({ data, version, updatedAt: new Date() }).where(eq(cmdbCis.id, ci.id));
				await t.insert(cmdbHistory).values({
					ciId: ci.id,
					classId: ci.classId,
					version,
					op: 'update',
					actorId: actor.id,
					actorName: actor.name,
					source: 'system',
					message: `Attribute ${a.name} removed from class ${label}`,
					changes: { [a.name]: [before, null] },
					state: { name: ci.name, classId: ci.classId, data }
				});
			}
			await t.update(cmdbAttributes).set({ removedAt: new Date() }).where(eq(cmdbAttributes.id, id));
			await audit(t, actor, {
				action: 'cmdb.attribute.delete',
				targetType: 'cmdb-attribute',
				targetId: id,
				targetName: `${label}.${a.name}`,
				before: { name: a.name, type: a.type, valuesKeptInHistory: withValue.length }
			});
			return { removed: true, valuesKept: withValue.length };
		}
		const [{ n }] = await t
			.select({ n: sql<number>`count(*)::int` })
			.from(cmdbRelations)
			.where(and(eq(cmdbRelations.domainId, a.domainId!), sql`${cmdbRelations.data} ? ${a.name}`));
		if (n && !confirm)
			throw new UserError(
				`${n} relation(s) of ${label} have a value for ${a.name}. Confirm to remove it.`,
				'CONFLICT'
			);
		await t.update(cmdbAttributes).set({ removedAt: new Date() }).where(eq(cmdbAttributes.id, id));
		await audit(t, actor, {
			action: 'cmdb.attribute.delete',
			targetType: 'cmdb-attribute',
			targetId: id,
			targetName: `${label}.${a.name}`,
			before: { name: a.name, type: a.type, relationValues: n }
		});
		return { removed: true, valuesKept: n };
	});
}

// ---------------------------------------------------------------- domains

export async function createDomain(
	db: Db,
	actor: Actor,
	input: DomainInput,
	builtIn = false
): Promise<number> {
	const v = domainInput.parse(input);
	return tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		if (m.findDomain(v.name))
			throw new UserError(`A relation type named "${v.name}" already exists.`, 'CONFLICT');
		const source = m.cls(v.source);
		const target = m.cls(v.target);
		const [row] = await t
			.insert(cmdbDomains)
			.values({
				name: v.name,
				sourceClassId: source.id,
				targetClassId: target.id,
				cardinality: v.cardinality,
				forwardLabel: v.forwardLabel,
				reverseLabel: v.reverseLabel,
				containment: v.containment,
				dependent: v.dependent,
				description: v.description,
				builtIn
			})
			.returning();
		await audit(t, actor, {
			action: 'cmdb.domain.create',
			targetType: 'cmdb-domain',
			targetId: row.id,
			targetName: v.name,
			after: v
		});
		return row.id;
	});
}

export async function updateDomain(
	db: Db,
	actor: Actor,
	id: number,
	patch: Partial<DomainInput>
): Promise<void> {
	await tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const d = m.domains.get(id);
		if (!d) throw new UserError(`There is no relation type with id ${id}.`, 'NOT_FOUND');
		const v = domainInput.parse({
			name: d.name,
			source: m.classes.get(d.sourceClassId)!.name,
			target: m.classes.get(d.targetClassId)!.name,
			cardinality: d.cardinality,
			forwardLabel: d.forwardLabel,
			reverseLabel: d.reverseLabel,
			containment: d.containment,
			dependent: d.dependent,
			description: d.description,
			...Object.fromEntries(Object.entries(patch).filter(([, x]) => x !== undefined))
		});
		const other = m.findDomain(v.name);
		if (other && other.id !== id)
			throw new UserError(`A relation type named "${v.name}" already exists.`, 'CONFLICT');
		const source = m.cls(v.source);
		const target = m.cls(v.target);
		const [{ n }] = await t
			.select({ n: sql<number>`count(*)::int` })
			.from(cmdbRelations)
			.where(eq(cmdbRelations.domainId, id));
		if (
			n &&
			(source.id !== d.sourceClassId || target.id !== d.targetClassId || v.cardinality !== d.cardinality)
		)
			throw new UserError(
				`${d.name} has ${n} relation(s); its classes and cardinality can't change while relations exist.`,
				'CONFLICT'
			);
		await t
			.update(cmdbDomains)
			.set({
				name: v.name,
				sourceClassId: source.id,
				targetClassId: target.id,
				cardinality: v.cardinality,
				forwardLabel: v.forwardLabel,
				reverseLabel: v.reverseLabel,
				containment: v.containment,
				dependent: v.dependent,
				description: v.description
			})
			.where(eq(cmdbDomains.id, id));
		await audit(t, actor, {
			action: 'cmdb.domain.update',
			targetType: 'cmdb-domain',
			targetId: id,
			targetName: d.name,
			before: {
				name: d.name,
				cardinality: d.cardinality,
				forwardLabel: d.forwardLabel,
				reverseLabel: d.reverseLabel
			},
			after: v
		});
	});
}

export async function deleteDomain(db: Db, actor: Actor, id: number): Promise<void> {
	await tx(db, async (t) => {
		await lockModel(t);
		const m = await loadModel(t);
		const d = m.domains.get(id);
		if (!d) throw new UserError(`There is no relation type with id ${id}.`, 'NOT_FOUND');
		const [{ n }] = await t
			.select({ n: sql<number>`count(*)::int` })
			.from(cmdbRelations)
			.where(eq(cmdbRelations.domainId, id));
		if (n) throw new UserError(`${d.name} has ${n} relation(s); remove them first.`, 'CONFLICT');
		await t.delete(cmdbDomains).where(eq(cmdbDomains.id, id));
		await audit(t, actor, {
			action: 'cmdb.domain.delete',
			targetType: 'cmdb-domain',
			targetId: id,
			targetName: d.name,
			before: { name: d.name }
		});
	});
}
