import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deviceGroups, grants, roles, users, userRoles } from '../db/schema';
import { audit, SYSTEM_ACTOR } from '../audit/audit';
import { generatePassword, hashPassword } from '../auth/password';
import { SUPERUSER } from '../auth/permissions';
import { DEVICE_ACTIONS } from '../../lib/protocol/permissions';

export const BUILT_IN_ROLES = [
	{
		name: 'Administrator',
		description: 'Full access to everything, on every device.',
		permissions: [SUPERUSER]
	},
	{
		name: 'Operator',
		description: 'Runs the fleet: consoles, power and tasks on the devices granted.',
		permissions: [
			'desktop.use',
			'system.read',
			'notifications.send',
			'cmdb.read',
			'cmdb.write',
			'agents.read'
		]
	},
	{
		name: 'Viewer',
		description: 'Looks, never touches: read-only consoles and logs.',
		permissions: ['desktop.use', 'system.read', 'cmdb.read']
	}
];

const BUILT_IN_GRANTS: Record<string, string[]> = {
	Operator: [...DEVICE_ACTIONS],
	Viewer: ['console.view', 'logs.read']
};

export const ALL_DEVICES_GROUP = 'All devices';

/** Creates the built-in roles, the "All devices" group and their grants when the database is new. */
export async function seedAccess(db: Db): Promise<void> {
	const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(roles);
	if (n > 0) return;
	await db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const created = await t
			.insert(roles)
			.values(BUILT_IN_ROLES.map((r) => ({ ...r, builtIn: true })))
			.returning();
		const [all] = await t
			.insert(deviceGroups)
			.values({ name: ALL_DEVICES_GROUP, description: 'Every device, present and future.', allDevices: true })
			.returning();
		for (const r of created) {
			const actions = BUILT_IN_GRANTS[r.name];
			if (actions) await t.insert(grants).values({ roleId: r.id, groupId: all.id, actions });
		}
	});
}

/**
 * On first start (no users at all) creates `admin` with the Administrator role. Returns the generated
 * password when none was configured, so the caller prints it exactly once.
 */
export async function ensureFirstAdmin(
	db: Db,
	configured?: string
): Promise<{ created: boolean; generated?: string }> {
	const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
	if (n > 0) return { created: false };
	const password = configured ?? generatePassword();
	const passwordHash = await hashPassword(password);
	const [admin] = await db.select().from(roles).where(eq(roles.name, 'Administrator'));
	const inserted = await db
		.insert(users)
		.values({ username: 'admin', displayName: 'Administrator', passwordHash })
		.onConflictDoNothing()
		.returning();
	if (!inserted.length) return { created: false };
	if (admin) await db.insert(userRoles).values({ userId: inserted[0].id, roleId: admin.id });
	await audit(db, SYSTEM_ACTOR, {
		action: 'user.create',
		targetType: 'user',
		targetId: inserted[0].id,
		targetName: 'admin',
		after: { username: 'admin', roles: ['Administrator'], reason: 'first start' }
	});
	return { created: true, generated: configured ? undefined : password };
}
