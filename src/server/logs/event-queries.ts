// Reading and acknowledging pattern and file-change events: a user sees the events of devices whose logs they
// may read.
import { and, desc, eq, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles, deviceGroupMembers, devices, logEvents } from '../db/schema';
import { can, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import type { LogEventView, LogSeverity } from '../../lib/protocol/logs';
import { eventView } from './events';

async function readableDeviceIds(db: Db, user: Principal): Promise<number[]> {
	const members = await db.select().from(deviceGroupMembers);
	const ids = (await db.select({ id: devices.id }).from(devices)).map((d) => d.id);
	return ids.filter((id) =>
		can(user, 'logs.read', { id, groupIds: members.filter((m) => m.deviceId === id).map((m) => m.groupId) })
	);
}

async function withNames(db: Db, rows: { e: typeof logEvents.$inferSelect; deviceName: string | null }[]) {
	const consoleIds = [
		...new Set(rows.flatMap((r) => (r.e.source?.type === 'console' ? [r.e.source.consoleId] : [])))
	];
	const names = new Map(
		consoleIds.length
			? (
					await db
						.select({ id: consoles.id, name: consoles.name })
						.from(consoles)
						.where(inArray(consoles.id, consoleIds))
				).map((c) => [c.id, c.name])
			: []
	);
	return rows.map((r) => {
		const v = eventView(r.e, r.deviceName);
		if (v.source?.type === 'console')
			v.source = { ...v.source, consoleName: names.get(v.source.consoleId) ?? null };
		return v;
	});
}

export async function listEvents(
	db: Db,
	user: Principal,
	f: {
		deviceId?: number;
		kind?: 'pattern' | 'file-change';
		severity?: LogSeverity;
		unacked: boolean;
		beforeId?: number;
		limit: number;
	}
): Promise<LogEventView[]> {
	const readable = await readableDeviceIds(db, user);
	const ids = f.deviceId !== undefined ? readable.filter((d) => d === f.deviceId) : readable;
	if (!ids.length) return [];
	const where: SQL[] = [inArray(logEvents.deviceId, ids)];
	if (f.kind) where.push(eq(logEvents.kind, f.kind));
	if (f.severity) where.push(eq(logEvents.severity, f.severity));
	if (f.unacked) where.push(isNull(logEvents.ackedAt));
	if (f.beforeId) where.push(lt(logEvents.id, f.beforeId));
	const rows = await db
		.select({ e: logEvents, deviceName: devices.name })
		.from(logEvents)
		.leftJoin(devices, eq(devices.id, logEvents.deviceId))
		.where(and(...where))
		.orderBy(desc(logEvents.id))
		.limit(f.limit);
	return withNames(db, rows);
}

export async function getEvent(db: Db, user: Principal, id: number): Promise<LogEventView> {
	const [r] = await db
		.select({ e: logEvents, deviceName: devices.name })
		.from(logEvents)
		.leftJoin(devices, eq(devices.id, logEvents.deviceId))
		.where(eq(logEvents.id, id));
	if (!r || r.e.deviceId === null || !(await readableDeviceIds(db, user)).includes(r.e.deviceId))
		throw new UserError(`There is no log event ${id}.`, 'NOT_FOUND');
	return (await withNames(db, [r]))[0];
}

/** Marks events as seen by this user (events of devices they may not read are left alone). */
export async function ackEvents(db: Db, user: Principal, ids: number[]): Promise<{ acked: number }> {
	const readable = await readableDeviceIds(db, user);
	if (!readable.length) return { acked: 0 };
	const rows = await db
		.update(logEvents)
		.set({ ackedAt: new Date(), ackedBy: user.username })
		.where(and(inArray(logEvents.id, ids), inArray(logEvents.deviceId, readable), isNull(logEvents.ackedAt)))
		.returning({ id: logEvents.id });
	return { acked: rows.length };
}
