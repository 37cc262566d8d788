// The macro library. A user sees the macros they own, those shared with one of their roles, and (with
// consoles.manage) all of them; the owner and consoles.manage change and delete them. Sharing says who may
// play a macro, so every change is audited with the roles before and after.
import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { macroShares, macros, roles, users } from '../../db/schema';
import { audit, type Actor } from '../../audit/audit';
import { can, type Principal } from '../../auth/permissions';
import { UserError } from '../../errors';
import { macroInputSchema, type MacroStep, type MacroView } from '../../../lib/protocol/gang';
import type { z } from 'zod';

export type MacroFields = z.output<typeof macroInputSchema>;

function visible(p: Principal): SQL | undefined {
	if (can(p, 'consoles.manage')) return undefined;
	const mine = eq(macros.ownerId, p.userId);
	const roleIds = p.roles.map((r) => r.id);
	if (!roleIds.length) return mine;
	return or(
		mine,
		sql`exists (select 1 from ${macroShares} s where s.macro_id = ${macros.id} and s.role_id in (${sql.join(
			roleIds.map((id) => sql`${id}`),
			sql`, `
		)}))`
	);
}

async function views(db: Db, p: Principal, where: SQL | undefined): Promise<MacroView[]> {
	const rows = await db
		.select({ m: macros, owner: users.username })
		.from(macros)
		.leftJoin(users, eq(users.id, macros.ownerId))
		.where(where)
		.orderBy(asc(macros.name), asc(macros.id))
		.limit(2000);
	const ids = rows.map((r) => r.m.id);
	const shares = ids.length
		? await db
				.select({ macroId: macroShares.macroId, id: roles.id, name: roles.name })
				.from(macroShares)
				.innerJoin(roles, eq(roles.id, macroShares.roleId))
				.where(inArray(macroShares.macroId, ids))
				.orderBy(asc(roles.name))
		: [];
	const manage = can(p, 'consoles.manage');
	return rows.map(({ m, owner }) => ({
		id: m.id,
		name: m.name,
		description: m.description,
		steps: m.steps,
		owner: m.ownerId && owner ? { id: m.ownerId, username: owner } : null,
		sharedRoles: shares.filter((s) => s.macroId === m.id).map((s) => ({ id: s.id, name: s.name })),
		canEdit: manage || m.ownerId === p.userId,
		createdAt: m.createdAt.toISOString(),
		updatedAt: m.updatedAt.toISOString()
	}));
}

export function listMacros(db: Db, p: Principal): Promise<MacroView[]> {
	return views(db, p, visible(p));
}

/** The macro if the user may see (and so play) it; NOT_FOUND otherwise. */
export async function getMacro(db: Db, p: Principal, id: number): Promise<MacroView> {
	const [m] = await views(db, p, and(eq(macros.id, id), visible(p)));
	if (!m) throw new UserError(`There is no macro ${id} you may use.`, 'NOT_FOUND');
	return m;
}

async function editable(db: Db, p: Principal, id: number): Promise<MacroView> {
	const m = await getMacro(db, p, id);
	if (!m.canEdit)
		throw new UserError('Only the owner of this macro (or a console manager) may change it.', 'FORBIDDEN');
	return m;
}

async function checkRoles(db: Db, ids: number[]): Promise<number[]> {
	const unique = [...new Set(ids)];
	if (!unique.length) return [];
	const found = await db.select({ id: roles.id }).from(roles).where(inArray(roles.id, unique));
	if (found.length !== unique.length)
		throw new UserError('One of the roles to share with does not exist; choose again.');
	return unique;
}

/** Names are unique per owner (checked first; the index catches two saves racing). */
async function nameFree(db: Db, ownerId: number | null, name: string, except?: number): Promise<void> {
	if (ownerId === null) return;
	const [hit] = await db
		.select({ id: macros.id })
		.from(macros)
		.where(and(eq(macros.ownerId, ownerId), eq(macros.name, name)));
	if (hit && hit.id !== except) throw taken(name);
}

const taken = (name: string) =>
	new UserError(`There is a macro named "${name}" already: choose another name.`, 'CONFLICT');

function conflict(e: unknown, name: string): never {
	const cause = (e as { cause?: { code?: string } })?.cause;
	if ((e as { code?: string })?.code === '23505' || cause?.code === '23505') throw taken(name);
	throw e;
}

const summary = (m: { name: string; description: string; steps: MacroStep[] }, sharedRoleIds: number[]) => ({
	name: m.name,
	description: m.description,
	steps: m.steps,
	sharedRoleIds
});

export async function createMacro(
	db: Db,
	p: Principal,
	actor: Actor,
	input: MacroFields
): Promise<MacroView> {
	const roleIds = await checkRoles(db, input.sharedRoleIds);
	await nameFree(db, p.userId, input.name);
	const id = await db
		.transaction(async (tx) => {
			const [m] = await tx
				.insert(macros)
				.values({ name: input.name, description: input.description, steps: input.steps, ownerId: p.userId })
				.returning({ id: macros.id });
			if (roleIds.length)
				await tx.insert(macroShares).values(roleIds.map((roleId) => ({ macroId: m.id, roleId })));
			return m.id;
		})
		.catch((e) => conflict(e, input.name));
	await audit(db, actor, {
		action: 'macro.create',
		targetType: 'macro',
		targetId: id,
		targetName: input.name,
		after: summary(input, roleIds)
	});
	return getMacro(db, p, id);
}

export async function updateMacro(
	db: Db,
	p: Principal,
	actor: Actor,
	id: number,
	input: MacroFields
): Promise<MacroView> {
	const before = await editable(db, p, id);
	const roleIds = await checkRoles(db, input.sharedRoleIds);
	await nameFree(db, before.owner?.id ?? null, input.name, id);
	await db
		.transaction(async (tx) => {
			await tx
				.update(macros)
				.set({ name: input.name, description: input.description, steps: input.steps, updatedAt: new Date() })
				.where(eq(macros.id, id));
			await tx.delete(macroShares).where(eq(macroShares.macroId, id));
			if (roleIds.length)
				await tx.insert(macroShares).values(roleIds.map((roleId) => ({ macroId: id, roleId })));
		})
		.catch((e) => conflict(e, input.name));
	await audit(db, actor, {
		action: 'macro.update',
		targetType: 'macro',
		targetId: id,
		targetName: input.name,
		before: summary(
			before,
			before.sharedRoles.map((r) => r.id)
		),
		after: summary(input, roleIds)
	});
	return getMacro(db, p, id);
}

export async function deleteMacro(db: Db, p: Principal, actor: Actor, id: number): Promise<void> {
	const before = await editable(db, p, id);
	await db.delete(macros).where(eq(macros.id, id));
	await audit(db, actor, {
		action: 'macro.delete',
		targetType: 'macro',
		targetId: id,
		targetName: before.name,
		before: summary(
			before,
			before.sharedRoles.map((r) => r.id)
		)
	});
}
