// Model edits: classes. Each runs through editModel (one transaction, model lock, version bump) and is audited.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbClasses } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { classInput, patchSchema, type ClassInput } from '../../lib/protocol/cmdb';
import { countItems, editModel } from './model-edit';

export async function createClass(db: Db, actor: Actor, input: ClassInput, builtIn = false): Promise<number> {
	const v = classInput.parse(input);
	return editModel(db, async (t, m) => {
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
	await editModel(db, async (t, m) => {
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
			if (v.abstract && (await countItems(t, { classIds: [id] })))
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
				if (await countItems(t, { classIds: c.descendants }))
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
	await editModel(db, async (t, m) => {
		const c = m.classById(id);
		const subs = [...m.classes.values()].filter((x) => x.parentId === id);
		if (subs.length)
			throw new UserError(
				`${c.name} has subclasses (${subs.map((s) => s.name).join(', ')}); delete them first.`,
				'CONFLICT'
			);
		const n = await countItems(t, { classIds: [id] });
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
