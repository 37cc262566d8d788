import { eq, inArray } from 'drizzle-orm';
import { isDeviceAction, type Action } from '../../lib/protocol/permissions';
import type { Db } from '../db/client';
import { deviceGroups, deviceGroupMembers, grants, roles, userRoles } from '../db/schema';

/** What a signed-in user may do, loaded once per request or socket. */
export interface Principal {
	userId: number;
	username: string;
	roles: { id: number; name: string }[];
	permissions: ReadonlySet<string>;
	/** Device grants of all the user's roles. */
	grants: { groupId: number; allDevices: boolean; actions: readonly string[] }[];
}

/** A device as the permission check needs it: the groups it is in. */
export interface DeviceRef {
	id: number;
	groupIds: readonly number[];
}

export const SUPERUSER = '*';

/**
 * THE permission check, used by every tRPC procedure, REST route and socket event.
 * Global actions come from role permissions. Device actions need a grant on a group the device is in;
 * without a device, a device action asks "may this user do it to at least one device?".
 */
export function can(user: Principal | null | undefined, action: Action, device?: DeviceRef): boolean {
	if (!user) return false;
	if (user.permissions.has(SUPERUSER)) return true;
	if (!isDeviceAction(action)) return user.permissions.has(action);
	return user.grants.some(
		(g) =>
			g.actions.includes(action) &&
			(device === undefined || g.allDevices || device.groupIds.includes(g.groupId))
	);
}

export async function loadPrincipal(db: Db, user: { id: number; username: string }): Promise<Principal> {
	const roleRows = await db
		.select({ id: roles.id, name: roles.name, permissions: roles.permissions })
		.from(userRoles)
		.innerJoin(roles, eq(roles.id, userRoles.roleId))
		.where(eq(userRoles.userId, user.id));
	const roleIds = roleRows.map((r) => r.id);
	const grantRows = roleIds.length
		? await db
				.select({ groupId: grants.groupId, allDevices: deviceGroups.allDevices, actions: grants.actions })
				.from(grants)
				.innerJoin(deviceGroups, eq(deviceGroups.id, grants.groupId))
				.where(inArray(grants.roleId, roleIds))
		: [];
	return {
		userId: user.id,
		username: user.username,
		roles: roleRows.map((r) => ({ id: r.id, name: r.name })),
		permissions: new Set(roleRows.flatMap((r) => r.permissions)),
		grants: grantRows
	};
}

export async function loadDeviceRef(db: Db, deviceId: number): Promise<DeviceRef> {
	const rows = await db
		.select({ groupId: deviceGroupMembers.groupId })
		.from(deviceGroupMembers)
		.where(eq(deviceGroupMembers.deviceId, deviceId));
	return { id: deviceId, groupIds: rows.map((r) => r.groupId) };
}

/** Everything the browser needs to hide what the user can't use (the server still checks every call). */
export function effectiveActions(user: Principal, all: readonly Action[]): Action[] {
	return all.filter((a) => can(user, a));
}
