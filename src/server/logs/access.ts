// Who a device's log lines may reach: the groups it is in (for rules and watch lists) and the users who may
// read its logs (for live events and notifications). The same rule as can(): a grant on one of its groups, a
// grant on an all-devices group, or the superuser permission.
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deviceGroupMembers, deviceGroups, grants, roles, userRoles, users } from '../db/schema';
import { SUPERUSER } from '../auth/permissions';

/** The device's groups, all-devices groups included. */
export async function effectiveGroups(db: Db, deviceId: number): Promise<number[]> {
	const member = await db
		.select({ id: deviceGroupMembers.groupId })
		.from(deviceGroupMembers)
		.where(eq(deviceGroupMembers.deviceId, deviceId));
	const all = await db
		.select({ id: deviceGroups.id })
		.from(deviceGroups)
		.where(eq(deviceGroups.allDevices, true));
	return [...new Set([...member, ...all].map((g) => g.id))];
}

/** Users (not locked) who may read logs on the device. */
export async function logReaders(db: Db, deviceId: number): Promise<number[]> {
	const groupIds = await effectiveGroups(db, deviceId);
	const granted = groupIds.length
		? await db
				.select({ roleId: grants.roleId, actions: grants.actions })
				.from(grants)
				.where(inArray(grants.groupId, groupIds))
		: [];
	const roleIds = new Set(granted.filter((g) => g.actions.includes('logs.read')).map((g) => g.roleId));
	for (const r of await db.select({ id: roles.id, permissions: roles.permissions }).from(roles))
		if (r.permissions.includes(SUPERUSER)) roleIds.add(r.id);
	if (!roleIds.size) return [];
	const rows = await db
		.selectDistinct({ id: userRoles.userId, locked: users.locked })
		.from(userRoles)
		.innerJoin(users, eq(users.id, userRoles.userId))
		.where(inArray(userRoles.roleId, [...roleIds]));
	return rows.filter((r) => !r.locked).map((r) => r.id);
}
