// Who may read which access log: `logs.read` on the console's device. A log outlives its console (and its
// device): then the device recorded with the log is checked, and a log with no device is for those whose
// grants cover every device.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { can, loadDeviceRef, SUPERUSER, type Principal } from '../auth/permissions';
import { UserError } from '../errors';

export interface LogConsole {
	consoleId: number;
	consoleName: string;
	deviceId: number | null;
	deviceName: string | null;
}

/** The console (or what its log remembers of it), or null when there is neither. */
export async function findLogConsole(db: Db, consoleId: number): Promise<LogConsole | null> {
	const [r] = await queryRows<{
		device_id: number | null;
		console_name: string | null;
		device_name: string | null;
	}>(
		db,
		sql`select coalesce(c.device_id, h.device_id) as device_id, c.name as console_name, d.name as device_name
		from (select ${consoleId}::int as id) k
		left join consoles c on c.id = k.id
		left join access_log_heads h on h.console_id = k.id
		left join devices d on d.id = coalesce(c.device_id, h.device_id)
		where c.id is not null or h.console_id is not null`
	);
	if (!r) return null;
	return {
		consoleId,
		consoleName: r.console_name ?? `console ${consoleId} (deleted)`,
		deviceId: r.device_id,
		deviceName: r.device_name
	};
}

/** The console's log if the user may read it; otherwise the same "not found" as for a console that never was. */
export async function readableConsole(db: Db, user: Principal, consoleId: number): Promise<LogConsole> {
	const c = await findLogConsole(db, consoleId);
	const ref = c?.deviceId ? await loadDeviceRef(db, c.deviceId) : { id: 0, groupIds: [] };
	if (!c || !can(user, 'logs.read', ref))
		throw new UserError(`There is no access log for console ${consoleId} that you may read.`, 'NOT_FOUND');
	return c;
}

/**
 * The devices whose logs the user may read: null means all of them (a superuser, or a logs.read grant on a
 * group that holds every device).
 */
export async function readableDeviceIds(db: Db, user: Principal): Promise<number[] | null> {
	if (user.permissions.has(SUPERUSER)) return null;
	const grants = user.grants.filter((g) => g.actions.includes('logs.read'));
	if (grants.some((g) => g.allDevices)) return null;
	const groupIds = [...new Set(grants.map((g) => g.groupId))];
	if (!groupIds.length) return [];
	const rows = await queryRows<{ device_id: number }>(
		db,
		sql`select distinct device_id from device_group_members
		where group_id in (${sql.join(
			groupIds.map((g) => sql`${g}`),
			sql`, `
		)})`
	);
	return rows.map((r) => r.device_id);
}
