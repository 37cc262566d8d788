// Model edits: attributes of classes and relation types. Values already stored are converted, filled with
// defaults or kept in history, never silently lost.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbAttributes, cmdbCis, cmdbHistory, cmdbRelations } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { attributeInput, type AttributeInput } from '../../lib/protocol/cmdb';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';
import type { AttrDef, Model } from './model';
import { indexable } from './attribute-indexes';
import { countItems, editModel } from './model-edit';

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

/** Only class attributes of a type with short values can be indexed; anything else is refused by name. */
function checkIndexed(v: ReturnType<typeof attributeInput.parse>, owner: Owner): boolean {
	if (!v.indexed) return false;
	if (!('classId' in owner))
		throw new UserError(`${v.name}: only class attributes can be indexed, not relation attributes.`);
	if (!indexable(v.type))
		throw new UserError(
			`${v.name}: long text can't be indexed; use a text attribute for values to filter on.`
		);
	return true;
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
	return editModel(db, async (t, m) => {
		const { label, classIds, siblings } = ownerClasses(m, owner);
		if (siblings.some((a) => a.name.toLowerCase() === v.name.toLowerCase()))
			throw new UserError(
				`${label} (or a class it inherits from or passes on to) already has an attribute "${v.name}".`,
				'CONFLICT'
			);
		const refClass = v.type === 'reference' ? m.cls(v.refClass!) : null;
		const def = checkDefault(v);
		const indexed = checkIndexed(v, owner);
		const existing = 'classId' in owner ? await countItems(t, { classIds }) : 0;
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
				manualPolicy: v.manualPolicy,
				indexed
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
	await editModel(db, async (t, m) => {
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
			indexed: a.indexed,
			...Object.fromEntries(Object.entries(patch).filter(([, x]) => x !== undefined))
		});
		const { label, classIds, siblings } = ownerClasses(m, owner);
		const renamed = merged.name !== a.name;
		if (renamed && siblings.some((s) => s.id !== id && s.name.toLowerCase() === merged.name.toLowerCase()))
			throw new UserError(`${label} already has an attribute "${merged.name}".`, 'CONFLICT');
		const refClass = merged.type === 'reference' ? m.cls(merged.refClass!) : null;
		const def = checkDefault(merged);
		const indexed = checkIndexed(merged, owner);

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
				manualPolicy: merged.manualPolicy,
				indexed
			})
			.where(eq(cmdbAttributes.id, id));
		await audit(t, actor, {
			action: 'cmdb.attribute.update',
			targetType: 'cmdb-attribute',
			targetId: id,
			targetName: `${label}.${a.name}`,
			before: {
				name: a.name,
				type: a.type,
				required: a.required,
				unique: a.unique,
				label: a.label,
				indexed: a.indexed
			},
			after: {
				name: merged.name,
				type: merged.type,
				required: merged.required,
				unique: merged.unique,
				label: merged.label,
				indexed
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
	return editModel(db, async (t, m) => {
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
		const n = await countItems(t, { domainId: a.domainId! }, a.name);
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
