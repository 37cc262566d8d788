// The CMDB data model: classes (single inheritance), attributes and domains, loaded as one immutable
// snapshot per operation. The edits are in model-classes.ts, model-attributes.ts and model-domains.ts;
// each is audited and never loses CI data.
import { asc, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbAttributes, cmdbClasses, cmdbDomains, cmdbModelVersion } from '../db/schema';
import { UserError } from '../errors';
import type { AttributeType, Cardinality } from '../../lib/protocol/cmdb';

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
	/** Lists filter and sort on it through an index (class attributes only; see attribute-indexes.ts). */
	indexed: boolean;
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
				indexed: a.indexed,
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
	return (await loadVersionedModel(db)).model;
}

/** The model and the version it is current at, for callers that check the version in their own statement. */
export async function loadVersionedModel(
	db: Db
): Promise<{ model: Model; instance: string | null; version: number | null }> {
	const [v] = await db.select().from(cmdbModelVersion).limit(1);
	const hit = v ? cache.get(v.instance) : undefined;
	if (v && hit && hit.version === v.version)
		return { model: hit.model, instance: v.instance, version: v.version };
	const model = await readModel(db);
	if (v) cache.set(v.instance, { version: v.version, model });
	return { model, instance: v?.instance ?? null, version: v?.version ?? null };
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
		indexed: a.indexed,
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

/** Serialises model edits (and the unique checks that depend on the model) across app nodes. */
export async function lockModel(t: Db): Promise<void> {
	await t.execute(sql`select pg_advisory_xact_lock(7263001)`);
}
