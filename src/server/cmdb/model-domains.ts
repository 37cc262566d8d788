// Model edits: domains (relation types). Their classes and cardinality are fixed while relations exist.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbDomains } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { domainInput, type DomainInput } from '../../lib/protocol/cmdb';
import { countItems, editModel } from './model-edit';

export async function createDomain(
	db: Db,
	actor: Actor,
	input: DomainInput,
	builtIn = false
): Promise<number> {
	const v = domainInput.parse(input);
	return editModel(db, async (t, m) => {
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
	await editModel(db, async (t, m) => {
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
		const n = await countItems(t, { domainId: id });
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
	await editModel(db, async (t, m) => {
		const d = m.domains.get(id);
		if (!d) throw new UserError(`There is no relation type with id ${id}.`, 'NOT_FOUND');
		const n = await countItems(t, { domainId: id });
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
