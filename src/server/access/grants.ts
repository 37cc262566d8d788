import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { deviceGroups, grants, roles } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { DEVICE_ACTIONS } from '../../lib/protocol/permissions';
import { live } from './live';

export const grantInput = z.object({
	roleId: z.number().int().positive(),
	groupId: z.number().int().positive(),
	actions: z
		.array(z.enum(DEVICE_ACTIONS, { message: `Actions must be among: ${DEVICE_ACTIONS.join(', ')}` }))
		.min(1, 'Choose at least one action')
});

export async function listGrants(db: Db) {
	return db
		.select({
			id: grants.id,
			roleId: grants.roleId,
			roleName: roles.name,
			groupId: grants.groupId,
			groupName: deviceGroups.name,
			actions: grants.actions
		})
		.from(grants)
		.innerJoin(roles, eq(roles.id, grants.roleId))
		.innerJoin(deviceGroups, eq(deviceGroups.id, grants.groupId))
		.orderBy(asc(roles.name), asc(deviceGroups.name));
}

async function names(db: Db, roleId: number, groupId: number) {
	const [r] = await db.select().from(roles).where(eq(roles.id, roleId));
	if (!r) throw new UserError(`There is no role with id ${roleId}.`, 'NOT_FOUND');
	const [g] = await db.select().from(deviceGroups).where(eq(deviceGroups.id, groupId));
	if (!g) throw new UserError(`There is no device group with id ${groupId}.`, 'NOT_FOUND');
	return `${r.name} × ${g.name}`;
}

/** Creates the grant for role × group, or replaces its actions if one exists. */
export async function setGrant(db: Db, actor: Actor, input: z.input<typeof grantInput>) {
	const data = grantInput.parse(input);
	const targetName = await names(db, data.roleId, data.groupId);
	const actions = [...new Set(data.actions)].sort();
	const existing = (await db.select().from(grants).where(eq(grants.roleId, data.roleId))).find(
		(g) => g.groupId === data.groupId
	);
	if (existing) {
		await db.update(grants).set({ actions }).where(eq(grants.id, existing.id));
		await audit(db, actor, {
			action: 'grant.update',
			targetType: 'grant',
			targetId: existing.id,
			targetName,
			before: { actions: existing.actions },
			after: { actions }
		});
		live().accessChanged();
		return existing.id;
	}
	const [g] = await db
		.insert(grants)
		.values({ roleId: data.roleId, groupId: data.groupId, actions })
		.returning();
	await audit(db, actor, {
		action: 'grant.create',
		targetType: 'grant',
		targetId: g.id,
		targetName,
		after: { actions }
	});
	live().accessChanged();
	return g.id;
}

export async function deleteGrant(db: Db, actor: Actor, id: number) {
	const [g] = await db.select().from(grants).where(eq(grants.id, id));
	if (!g) throw new UserError(`There is no grant with id ${id}.`, 'NOT_FOUND');
	const targetName = await names(db, g.roleId, g.groupId);
	await db.delete(grants).where(eq(grants.id, id));
	await audit(db, actor, {
		action: 'grant.delete',
		targetType: 'grant',
		targetId: id,
		targetName,
		before: { actions: g.actions }
	});
	live().accessChanged();
}
