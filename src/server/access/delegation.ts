// Nobody hands out more power than they hold. Without these checks a user with "Manage users" could give
// themselves the Administrator role, or reset an administrator's password and sign in as them.
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deviceGroups, grants, roles, users } from '../db/schema';
import { UserError } from '../errors';
import { can, loadPrincipal, SUPERUSER, type Principal } from '../auth/permissions';
import type { Action } from '../../lib/protocol/permissions';

function holdsGrant(user: Principal, groupId: number, actions: readonly string[]): string[] {
	return actions.filter((a) => !can(user, a as Action, { id: 0, groupIds: [groupId] }));
}

/** The global permissions `user` may put into a role. */
export function assertCanDelegate(user: Principal, permissions: readonly string[], what: string): void {
	if (user.permissions.has(SUPERUSER)) return;
	const missing = permissions.filter((p) => p === SUPERUSER || !user.permissions.has(p));
	if (missing.length)
		throw new UserError(
			`You can't give ${what} permissions you don't hold yourself: ${missing.map((m) => (m === SUPERUSER ? 'full access' : m)).join(', ')}.`,
			'FORBIDDEN'
		);
}

/** Device actions `user` may grant on a group: only those they hold on that group themselves. */
export function assertCanGrant(user: Principal, groupId: number, actions: readonly string[]): void {
	if (user.permissions.has(SUPERUSER)) return;
	const missing = holdsGrant(user, groupId, actions);
	if (missing.length)
		throw new UserError(
			`You can't grant actions you don't hold on that device group yourself: ${missing.join(', ')}.`,
			'FORBIDDEN'
		);
}

/** Roles `user` may give someone: each role's permissions and device grants must be within their own. */
export async function assertCanAssignRoles(
	db: Db,
	user: Principal,
	roleIds: readonly number[]
): Promise<void> {
	if (user.permissions.has(SUPERUSER) || !roleIds.length) return;
	const rows = await db
		.select()
		.from(roles)
		.where(inArray(roles.id, [...roleIds]));
	for (const r of rows) {
		assertCanDelegate(user, r.permissions, `the role ${r.name}, which has`);
		const gs = await db
			.select({ groupId: grants.groupId, actions: grants.actions, group: deviceGroups.name })
			.from(grants)
			.innerJoin(deviceGroups, eq(deviceGroups.id, grants.groupId))
			.where(eq(grants.roleId, r.id));
		for (const g of gs) {
			const missing = holdsGrant(user, g.groupId, g.actions);
			if (missing.length)
				throw new UserError(
					`You can't give the role ${r.name}: it grants ${missing.join(', ')} on ${g.group}, which you don't hold.`,
					'FORBIDDEN'
				);
		}
	}
}

/** Changing another user (password, lock, roles, deletion) needs at least all of that user's power. */
export async function assertDominates(db: Db, user: Principal, targetUserId: number): Promise<void> {
	if (user.permissions.has(SUPERUSER) || user.userId === targetUserId) return;
	const [target] = await db
		.select({ id: users.id, username: users.username })
		.from(users)
		.where(eq(users.id, targetUserId));
	if (!target) return; // the domain function reports the missing user
	const t = await loadPrincipal(db, target);
	const tooStrong =
		[...t.permissions].some((p) => p === SUPERUSER || !user.permissions.has(p)) ||
		t.grants.some((g) => holdsGrant(user, g.groupId, g.actions).length > 0);
	if (tooStrong)
		throw new UserError(
			`${target.username} has permissions you don't hold; only someone with at least their access can change them.`,
			'FORBIDDEN'
		);
}
