// Telling people about inventories. "Configuration changed" notifications: to every role whose users may see devices or the CMDB (agents.read,
// cmdb.read, or everything), through the desktop's notification tray.
import { roles } from '../db/schema';
import type { Db } from '../db/client';
import { sendNotification } from '../notifications/notifications';
import { SUPERUSER } from '../auth/permissions';
import { hasRuntime, runtime } from '../runtime';
import { FLEET_ROOM, type InventoryUpdateEvent } from '../../lib/protocol/agent';

const AUDIENCE_PERMISSIONS = new Set([SUPERUSER, 'agents.read', 'cmdb.read']);

/** Roles that see configuration changes. A user in two of them sees the notice in both (one per role). */
export async function changeAudience(db: Db): Promise<number[]> {
	const rows = await db.select({ id: roles.id, permissions: roles.permissions }).from(roles);
	return rows.filter((r) => r.permissions.some((p) => AUDIENCE_PERMISSIONS.has(p))).map((r) => r.id);
}

export async function notifyConfigurationChanged(
	db: Db,
	device: { name: string; source: 'agent' | 'ocs' },
	summary: string,
	audience?: number[]
): Promise<number> {
	audience ??= await changeAudience(db);
	for (const roleId of audience)
		await sendNotification(db, 'inventory', {
			audience: { type: 'role', roleId },
			title: `Configuration changed: ${device.name}`.slice(0, 200),
			body: `The ${device.source === 'ocs' ? 'OCS' : 'agent'} inventory of ${device.name} changed: ${summary}. The CMDB history of its CIs shows the details (source "inventory").`.slice(
				0,
				4000
			),
			level: 'info'
		});
	return audience.length;
}

/** Tells desktops that may see agents (room 'fleet') that a host's inventory was taken into the CMDB. */
export function emitInventoryUpdate(ev: InventoryUpdateEvent): void {
	if (!hasRuntime()) return;
	runtime().io?.of('/desktop').to(FLEET_ROOM).emit('inventory:update', ev);
}
