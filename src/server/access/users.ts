import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { patchSchema } from '../../lib/protocol/patch';
import type { Db } from '../db/client';
import { roles, sessions, userRoles, users } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../auth/password';
import { deleteUserSessions } from '../auth/sessions';
import { UserError } from '../errors';
import { live } from './live';

export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export const usernameSchema = z
	.string()
	.trim()
	.min(2, 'Username must be at least 2 characters')
	.max(64, 'Username must be at most 64 characters')
	.regex(/^[a-zA-Z0-9._-]+$/, 'Username may contain only letters, digits, dot, dash and underscore');

export const userInput = z.object({
	username: usernameSchema,
	displayName: z.string().trim().max(120).default(''),
	email: z.union([z.literal(''), z.email('E-mail must be a valid address')]).default(''),
	roleIds: z.array(z.number().int().positive()).default([])
});

export interface UserView {
	id: number;
	username: string;
	displayName: string;
	email: string;
	locked: boolean;
	lockedUntil: Date | null;
	createdAt: Date;
	lastLoginAt: Date | null;
	roles: { id: number; name: string }[];
	sessionCount: number;
}

function snapshot(u: typeof users.$inferSelect, roleNames: string[]) {
	return {
		username: u.username,
		displayName: u.displayName,
		email: u.email,
		locked: u.locked,
		roles: roleNames
	};
}

export async function listUsers(db: Db): Promise<UserView[]> {
	const rows = await db.select().from(users).orderBy(asc(users.username));
	const roleRows = await db
		.select({ userId: userRoles.userId, id: roles.id, name: roles.name })
		.from(userRoles)
		.innerJoin(roles, eq(roles.id, userRoles.roleId));
	const counts = await db
		.select({ userId: sessions.userId, n: sql<number>`count(*)::int` })
		.from(sessions)
		.groupBy(sessions.userId);
	return rows.map((u) => ({
		id: u.id,
		username: u.username,
		displayName: u.displayName,
		email: u.email,
		locked: u.locked,
		lockedUntil: u.lockedUntil && u.lockedUntil.getTime() > Date.now() ? u.lockedUntil : null,
		createdAt: u.createdAt,
		lastLoginAt: u.lastLoginAt,
		roles: roleRows.filter((r) => r.userId === u.id).map((r) => ({ id: r.id, name: r.name })),
		sessionCount: counts.find((c) => c.userId === u.id)?.n ?? 0
	}));
}

async function getUser(db: Db, id: number) {
	const [u] = await db.select().from(users).where(eq(users.id, id));
	if (!u) throw new UserError(`There is no user with id ${id}.`, 'NOT_FOUND');
	return u;
}

export async function findUserByName(db: Db, username: string) {
	const [u] = await db.select().from(users).where(eq(users.username, username));
	return u ?? null;
}

async function roleNamesFor(db: Db, userId: number): Promise<string[]> {
	const r = await db
		.select({ name: roles.name })
		.from(userRoles)
		.innerJoin(roles, eq(roles.id, userRoles.roleId))
		.where(eq(userRoles.userId, userId))
		.orderBy(asc(roles.name));
	return r.map((x) => x.name);
}

async function setRoles(db: Db, userId: number, roleIds: number[]): Promise<void> {
	const unique = [...new Set(roleIds)];
	if (unique.length) {
		const found = await db.select({ id: roles.id }).from(roles).where(inArray(roles.id, unique));
		const missing = unique.filter((id) => !found.some((f) => f.id === id));
		if (missing.length) throw new UserError(`Role ${missing.join(', ')} does not exist.`, 'NOT_FOUND');
	}
	await db.delete(userRoles).where(eq(userRoles.userId, userId));
	if (unique.length) await db.insert(userRoles).values(unique.map((roleId) => ({ userId, roleId })));
}

export async function createUser(
	db: Db,
	actor: Actor,
	input: z.input<typeof userInput> & { password: string }
): Promise<UserView> {
	const data = userInput.parse(input);
	checkPasswordPolicy(input.password);
	if (await findUserByName(db, data.username))
		throw new UserError(`A user named "${data.username}" already exists.`, 'CONFLICT');
	const passwordHash = await hashPassword(input.password);
	const id = await db.transaction(async (tx) => {
		const [u] = await tx
			.insert(users)
			.values({ username: data.username, displayName: data.displayName, email: data.email, passwordHash })
			.returning();
		await setRoles(tx as unknown as Db, u.id, data.roleIds);
		await audit(tx as unknown as Db, actor, {
			action: 'user.create',
			targetType: 'user',
			targetId: u.id,
			targetName: u.username,
			after: snapshot(u, await roleNamesFor(tx as unknown as Db, u.id))
		});
		return u.id;
	});
	return (await listUsers(db)).find((u) => u.id === id)!;
}

export async function updateUser(
	db: Db,
	actor: Actor,
	id: number,
	patch: { displayName?: string; email?: string; roleIds?: number[] }
): Promise<void> {
	const parsed = patchSchema(userInput.pick({ displayName: true, email: true, roleIds: true })).parse(patch);
	const before = await getUser(db, id);
	const beforeRoles = await roleNamesFor(db, id);
	await db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const [after] = await t
			.update(users)
			.set({
				...(parsed.displayName !== undefined && { displayName: parsed.displayName }),
				...(parsed.email !== undefined && { email: parsed.email })
			})
			.where(eq(users.id, id))
			.returning();
		if (parsed.roleIds) await setRoles(t, id, parsed.roleIds);
		await audit(t, actor, {
			action: 'user.update',
			targetType: 'user',
			targetId: id,
			targetName: before.username,
			before: snapshot(before, beforeRoles),
			after: snapshot(after, await roleNamesFor(t, id))
		});
	});
	if (parsed.roleIds) live().accessChanged();
}

export async function resetPassword(db: Db, actor: Actor, id: number, password: string): Promise<void> {
	checkPasswordPolicy(password);
	const u = await getUser(db, id);
	const passwordHash = await hashPassword(password);
	await db.update(users).set({ passwordHash, failedAttempts: 0, lockedUntil: null }).where(eq(users.id, id));
	await audit(db, actor, {
		action: 'user.password-reset',
		targetType: 'user',
		targetId: id,
		targetName: u.username
	});
}

export async function setLocked(db: Db, actor: Actor, id: number, locked: boolean): Promise<void> {
	const u = await getUser(db, id);
	if (locked && actor.id === id) throw new UserError('You cannot lock your own account.', 'FORBIDDEN');
	await db
		.update(users)
		.set({ locked, ...(locked ? {} : { failedAttempts: 0, lockedUntil: null }) })
		.where(eq(users.id, id));
	await audit(db, actor, {
		action: locked ? 'user.lock' : 'user.unlock',
		targetType: 'user',
		targetId: id,
		targetName: u.username,
		before: { locked: u.locked, lockedUntil: u.lockedUntil },
		after: { locked }
	});
	if (locked) {
		const ended = await deleteUserSessions(db, id);
		live().sessionsEnded(id, ended, 'Your account was locked by an administrator.');
	}
}

export async function deleteUser(db: Db, actor: Actor, id: number): Promise<void> {
	const u = await getUser(db, id);
	if (actor.id === id) throw new UserError('You cannot delete your own account.', 'FORBIDDEN');
	const beforeRoles = await roleNamesFor(db, id);
	const ended = await deleteUserSessions(db, id);
	await db.delete(users).where(eq(users.id, id));
	await audit(db, actor, {
		action: 'user.delete',
		targetType: 'user',
		targetId: id,
		targetName: u.username,
		before: snapshot(u, beforeRoles)
	});
	live().sessionsEnded(id, ended, 'Your account was deleted.');
}

export type LoginResult = { ok: true; userId: number; username: string } | { ok: false };

/**
 * Checks a password with brute-force protection: MAX_FAILED_ATTEMPTS failures lock the account for
 * LOCKOUT_MS. Unknown user, wrong password and locked account all look the same to the caller.
 */
export async function checkLogin(db: Db, username: string, password: string, ip = ''): Promise<LoginResult> {
	const u = await findUserByName(db, username.trim());
	const ok = await verifyPassword(u?.passwordHash ?? null, password);
	if (!u) return { ok: false };
	const now = Date.now();
	if (u.locked || (u.lockedUntil && u.lockedUntil.getTime() > now)) return { ok: false };
	if (!ok) {
		const failed = (u.lockedUntil ? 0 : u.failedAttempts) + 1;
		const lock = failed >= MAX_FAILED_ATTEMPTS;
		await db
			.update(users)
			.set({ failedAttempts: lock ? 0 : failed, lockedUntil: lock ? new Date(now + LOCKOUT_MS) : null })
			.where(eq(users.id, u.id));
		if (lock) {
			await audit(
				db,
				{ id: null, name: 'system', ip },
				{
					action: 'user.lockout',
					targetType: 'user',
					targetId: u.id,
					targetName: u.username,
					after: {
						lockedUntil: new Date(now + LOCKOUT_MS).toISOString(),
						reason: `${MAX_FAILED_ATTEMPTS} failed sign-ins`
					}
				}
			);
		}
		return { ok: false };
	}
	await db
		.update(users)
		.set({ failedAttempts: 0, lockedUntil: null, lastLoginAt: new Date(now) })
		.where(and(eq(users.id, u.id)));
	return { ok: true, userId: u.id, username: u.username };
}
