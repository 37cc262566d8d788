// Bookmarks on log lines, shared with the team: anyone who may read the device's logs sees them; the author
// (or a logs.manage holder) changes or removes them.
import { and, desc, eq, ilike, inArray, or, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles, deviceGroupMembers, devices, logBookmarks } from '../db/schema';
import { can, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import { logsLink } from './links';
import { logBookmarkInputSchema, type LogBookmarkInput, type LogBookmarkView } from '../../lib/protocol/logs';

type Row = typeof logBookmarks.$inferSelect & { deviceName: string | null };

function view(r: Row): LogBookmarkView {
	return {
		id: r.id,
		type: r.sourceType as LogBookmarkView['type'],
		deviceId: r.deviceId,
		deviceName: r.deviceName,
		path: r.path,
		consoleId: r.consoleId,
		line: r.line,
		offset: r.byteOffset,
		cursor: r.cursor,
		anchor: r.anchor,
		note: r.note,
		tag: r.tag,
		createdBy: r.createdByName,
		createdAt: r.createdAt.toISOString(),
		updatedAt: r.updatedAt.toISOString(),
		link: logsLink({ bookmark: r.id })
	};
}

/** The device a bookmark's line belongs to (a console's device for an access log). */
async function deviceOf(
	db: Db,
	b: { deviceId: number | null; consoleId: number | null }
): Promise<number | null> {
	if (b.deviceId !== null) return b.deviceId;
	if (b.consoleId === null) return null;
	const [c] = await db
		.select({ deviceId: consoles.deviceId })
		.from(consoles)
		.where(eq(consoles.id, b.consoleId));
	return c?.deviceId ?? null;
}

async function readableDevices(db: Db, user: Principal): Promise<Set<number>> {
	const members = await db.select().from(deviceGroupMembers);
	const ids = (await db.select({ id: devices.id }).from(devices)).map((d) => d.id);
	return new Set(
		ids.filter((id) =>
			can(user, 'logs.read', { id, groupIds: members.filter((m) => m.deviceId === id).map((m) => m.groupId) })
		)
	);
}

async function mayRead(db: Db, user: Principal, deviceId: number | null): Promise<boolean> {
	if (deviceId === null) return false;
	return (await readableDevices(db, user)).has(deviceId);
}

const select = { b: logBookmarks, deviceName: devices.name };

export async function listBookmarks(
	db: Db,
	user: Principal,
	f: { deviceId?: number; path?: string; consoleId?: number; tag?: string; search?: string; limit: number }
): Promise<LogBookmarkView[]> {
	const where: SQL[] = [];
	if (f.deviceId !== undefined) where.push(eq(logBookmarks.deviceId, f.deviceId));
	if (f.path !== undefined) where.push(eq(logBookmarks.path, f.path));
	if (f.consoleId !== undefined) where.push(eq(logBookmarks.consoleId, f.consoleId));
	if (f.tag) where.push(eq(logBookmarks.tag, f.tag));
	if (f.search) {
		const t = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
		where.push(or(ilike(logBookmarks.note, t), ilike(logBookmarks.anchor, t), ilike(logBookmarks.tag, t))!);
	}
	const rows = await db
		.select(select)
		.from(logBookmarks)
		.leftJoin(devices, eq(devices.id, logBookmarks.deviceId))
		.where(where.length ? and(...where) : undefined)
		.orderBy(desc(logBookmarks.id))
		.limit(Math.min(f.limit * 4, 4000));
	const readable = await readableDevices(db, user);
	const consoleIds = [...new Set(rows.map((r) => r.b.consoleId).filter((c): c is number => c !== null))];
	const consoleDevice = new Map(
		consoleIds.length
			? (
					await db
						.select({ id: consoles.id, deviceId: consoles.deviceId })
						.from(consoles)
						.where(inArray(consoles.id, consoleIds))
				).map((c) => [c.id, c.deviceId])
			: []
	);
	return rows
		.filter((r) => {
			const d = r.b.deviceId ?? (r.b.consoleId !== null ? consoleDevice.get(r.b.consoleId) : undefined);
			return d !== undefined && readable.has(d);
		})
		.slice(0, f.limit)
		.map((r) => view({ ...r.b, deviceName: r.deviceName }));
}

async function load(db: Db, user: Principal, id: number): Promise<Row> {
	const [r] = await db
		.select(select)
		.from(logBookmarks)
		.leftJoin(devices, eq(devices.id, logBookmarks.deviceId))
		.where(eq(logBookmarks.id, id));
	// A bookmark on a device the user may not read is reported as missing, not as forbidden.
	if (!r || !(await mayRead(db, user, await deviceOf(db, r.b))))
		throw new UserError(`There is no bookmark ${id}.`, 'NOT_FOUND');
	return { ...r.b, deviceName: r.deviceName };
}

export async function getBookmark(db: Db, user: Principal, id: number): Promise<LogBookmarkView> {
	return view(await load(db, user, id));
}

export async function createBookmark(
	db: Db,
	user: Principal,
	input: LogBookmarkInput
): Promise<LogBookmarkView> {
	const b = logBookmarkInputSchema.parse(input);
	const deviceId = b.type === 'access-log' ? null : b.deviceId;
	const consoleId = b.type === 'access-log' ? b.consoleId : null;
	if (consoleId !== null && (await deviceOf(db, { deviceId, consoleId })) === null)
		throw new UserError(`There is no console ${consoleId}.`, 'NOT_FOUND');
	if (!(await mayRead(db, user, await deviceOf(db, { deviceId, consoleId }))))
		throw new UserError('You may not read logs on this device, so you cannot bookmark them.', 'FORBIDDEN');
	const [row] = await db
		.insert(logBookmarks)
		.values({
			sourceType: b.type,
			deviceId,
			consoleId,
			path: b.type === 'file' ? b.path : null,
			line: b.type === 'journal' ? null : b.line,
			byteOffset: b.type === 'file' ? b.offset : null,
			cursor: b.type === 'journal' ? b.cursor : null,
			anchor: b.anchor,
			note: b.note,
			tag: b.tag,
			createdBy: user.userId,
			createdByName: user.username
		})
		.returning({ id: logBookmarks.id });
	return getBookmark(db, user, row.id);
}

function mayChange(user: Principal, r: Row): void {
	if (r.createdBy !== user.userId && !can(user, 'logs.manage'))
		throw new UserError(
			'Only its author (or someone with logs.manage) may change this bookmark.',
			'FORBIDDEN'
		);
}

export async function updateBookmark(
	db: Db,
	user: Principal,
	input: { id: number; note?: string; tag?: string }
): Promise<LogBookmarkView> {
	mayChange(user, await load(db, user, input.id));
	await db
		.update(logBookmarks)
		.set({
			...(input.note !== undefined ? { note: input.note } : {}),
			...(input.tag !== undefined ? { tag: input.tag } : {}),
			updatedAt: new Date()
		})
		.where(eq(logBookmarks.id, input.id));
	return getBookmark(db, user, input.id);
}

export async function deleteBookmark(db: Db, user: Principal, id: number): Promise<{ ok: true }> {
	mayChange(user, await load(db, user, id));
	await db.delete(logBookmarks).where(eq(logBookmarks.id, id));
	return { ok: true };
}
