import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { roles, userRoles } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { GLOBAL_ACTIONS } from '../../lib/protocol/permissions';
import { SUPERUSER } from '../auth/permissions';
import { live } from './live';

export const roleInput = z.object({
	name: z.string().trim().min(2, 'Role name must be at least 2 characters').max(64),
	description: z.string().trim().max(500).default(''),
	permissions: z
		.array(z.enum([...GLOBAL_ACTIONS, SUPERUSER] as [string, ...string[]], { message: 'Unknown permission' }))
		.default([])
});

export async function listRoles(db: Db) {
	const rows = await db.select().from(roles).orderBy(asc(roles.name));
	const counts = await db
		.select({ roleId: userRoles.roleId, n: sql<number>`count(*)::int` })
		.from(userRoles)
		.groupBy(userRoles.roleId);
	return rows.map((r) => ({ ...r, userCount: counts.find((c) => c.roleId === r.id)?.n ?? 0 }));
}

export async function findRoleByName(db: Db, name: string) {
	const [r] = await db.select().from(roles).where(eq(roles.name, name));
	return r ?? null;
}

export async function createRole(db: Db, actor: Actor, input: z.input<typeof roleInput>) {
	const data = roleInput.parse(input);
	if (await findRoleByName(db, data.name))
		throw new UserError(`A role named "${data.name}" already exists.`, 'CONFLICT');
	const [r] = await db.insert(roles).values(data).returning();
	await audit(db, actor, {
		action: 'role.create',
		targetType: 'role',
		targetId: r.id,
		targetName: r.name,
		after: data
	});
	return r;
}

export async function updateRole(db: Db, actor: Actor, id: number, input: z.input<typeof roleInput>) {
	const data = roleInput.parse(input);
	const [before] = await db.select().from(roles).where(eq(roles.id, id));
	if (!before) throw new UserError(`There is no role with id ${id}.`, 'NOT_FOUND');
	if (before.builtIn && before.permissions.includes(SUPERUSER) && !data.permissions.includes(SUPERUSER)) {
		throw new UserError(
			'The Administrator role must keep full access, or nobody could repair the setup.',
			'FORBIDDEN'
		);
	}
	if (before.builtIn && data.name !== before.name)
		throw new UserError('Built-in roles cannot be renamed.', 'FORBIDDEN');
	const clash = await findRoleByName(db, data.name);
	if (clash && clash.id !== id)
		throw new UserError(`A role named "${data.name}" already exists.`, 'CONFLICT');
	await db.update(roles).set(data).where(eq(roles.id, id));
	await audit(db, actor, {
		action: 'role.update',
		targetType: 'role',
		targetId: id,
		targetName: data.name,
		before: { name: before.name, description: before.description, permissions: before.permissions },
		after: data
	});
	live().accessChanged();
}

export async function deleteRole(db: Db, actor: Actor, id: number) {
	const [before] = await db.select().from(roles).where(eq(roles.id, id));
	if (!before) throw new UserError(`There is no role with id ${id}.`, 'NOT_FOUND');
	if (before.builtIn)
		throw new UserError(`"${before.name}" is a built-in role and cannot be deleted.`, 'FORBIDDEN');
	await db.delete(roles).where(eq(roles.id, id));
	await audit(db, actor, {
		action: 'role.delete',
		targetType: 'role',
		targetId: id,
		targetName: before.name,
		before: { name: before.name, description: before.description, permissions: before.permissions }
	});
	live().accessChanged();
}
