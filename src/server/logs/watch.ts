// Watched files per device group (logs.manage, audited). A device watches the union of its groups' lists, or
// DEFAULT_WATCHED_FILES when none of its groups has a list; agents get the change in a new signed config.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deviceGroups, logWatchLists } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { DEFAULT_WATCHED_FILES, type LogWatchListView } from '../../lib/protocol/logs';
import { pushLogsConfigSoon } from './config';

export async function listWatchLists(db: Db): Promise<LogWatchListView> {
	const rows = await db
		.select({ g: deviceGroups, l: logWatchLists })
		.from(deviceGroups)
		.leftJoin(logWatchLists, eq(logWatchLists.groupId, deviceGroups.id))
		.orderBy(asc(deviceGroups.name));
	return {
		defaults: [...DEFAULT_WATCHED_FILES],
		groups: rows.map(({ g, l }) => ({
			groupId: g.id,
			groupName: g.name,
			paths: l?.paths ?? null,
			updatedBy: l?.updatedBy ?? null,
			updatedAt: l?.updatedAt.toISOString() ?? null
		}))
	};
}

async function group(db: Db, id: number) {
	const [g] = await db.select().from(deviceGroups).where(eq(deviceGroups.id, id));
	if (!g) throw new UserError(`There is no device group ${id}.`, 'NOT_FOUND');
	const [l] = await db.select().from(logWatchLists).where(eq(logWatchLists.groupId, id));
	return { g, before: l?.paths ?? null };
}

export async function setWatchList(
	db: Db,
	actor: Actor,
	groupId: number,
	paths: string[]
): Promise<LogWatchListView> {
	const { g, before } = await group(db, groupId);
	const clean = [...new Set(paths.map((p) => p.trim()))].sort();
	await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		await t
			.insert(logWatchLists)
			.values({ groupId, paths: clean, updatedBy: actor.name })
			.onConflictDoUpdate({
				target: logWatchLists.groupId,
				set: { paths: clean, updatedBy: actor.name, updatedAt: new Date() }
			});
		await audit(t, actor, {
			action: 'logs.watch.set',
			targetType: 'device-group',
			targetId: groupId,
			targetName: g.name,
			before,
			after: clean
		});
	});
	pushLogsConfigSoon(db);
	return listWatchLists(db);
}

export async function resetWatchList(db: Db, actor: Actor, groupId: number): Promise<LogWatchListView> {
	const { g, before } = await group(db, groupId);
	if (before !== null)
		await db.transaction(async (t0) => {
			const t = t0 as unknown as Db;
			await t.delete(logWatchLists).where(eq(logWatchLists.groupId, groupId));
			await audit(t, actor, {
				action: 'logs.watch.reset',
				targetType: 'device-group',
				targetId: groupId,
				targetName: g.name,
				before,
				after: null
			});
		});
	pushLogsConfigSoon(db);
	return listWatchLists(db);
}
