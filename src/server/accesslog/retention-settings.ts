// The retention setting as administrators manage it (logs.manage): days for the whole system, and optionally
// per device group. A device in groups with their own period keeps its logs for the longest of them; other
// devices follow the system's. Every change is audited.
import { z } from 'zod';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accessLogRetention, accessLogRetentionGroups, deviceGroups } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { rawQuery } from './raw';

export const MAX_RETENTION_DAYS = 36_500;

export const retentionDays = z
	.number('Give the number of days')
	.int('Retention is a whole number of days')
	.min(1, 'Retention is at least 1 day')
	.max(MAX_RETENTION_DAYS, `Retention is at most ${MAX_RETENTION_DAYS} days (100 years)`);

/** null: keep forever. */
export const setRetentionInput = z.object({ days: retentionDays.nullable() });
/** null: the group follows the system's setting again. */
export const setGroupRetentionInput = z.object({
	groupId: z.number().int().positive('That is not a device group'),
	days: retentionDays.nullable()
});

export interface RetentionView {
	days: number | null;
	updatedBy: string | null;
	updatedAt: Date | null;
	groups: { groupId: number; groupName: string; days: number; updatedBy: string; updatedAt: Date }[];
	lastRun: {
		at: Date;
		records: number;
		consoles: number;
		heldBack: number;
		error: string | null;
	} | null;
	/** Records purged so far (all consoles), and the consoles whose logs start after a purge. */
	purgedRecords: number;
	purgedConsoles: number;
}

/** The settings row, created on first use. */
export async function retentionRow(db: Db) {
	await rawQuery(db, 'insert into access_log_retention (id) values (1) on conflict (id) do nothing');
	const [r] = await db.select().from(accessLogRetention).where(eq(accessLogRetention.id, 1));
	return r;
}

export async function getRetention(db: Db): Promise<RetentionView> {
	const r = await retentionRow(db);
	const groups = await db
		.select({
			groupId: accessLogRetentionGroups.groupId,
			groupName: deviceGroups.name,
			days: accessLogRetentionGroups.days,
			updatedBy: accessLogRetentionGroups.updatedBy,
			updatedAt: accessLogRetentionGroups.updatedAt
		})
		.from(accessLogRetentionGroups)
		.innerJoin(deviceGroups, eq(deviceGroups.id, accessLogRetentionGroups.groupId))
		.orderBy(deviceGroups.name);
	const [p] = await rawQuery<{ n: string | number | null; c: string | number }>(
		db,
		'select sum(records) as n, count(*) as c from access_log_checkpoints'
	);
	return {
		days: r.days,
		updatedBy: r.updatedBy,
		updatedAt: r.updatedBy ? r.updatedAt : null,
		groups,
		lastRun: r.lastRunAt
			? {
					at: r.lastRunAt,
					records: r.lastRunRecords,
					consoles: r.lastRunConsoles,
					heldBack: r.lastRunHeldBack,
					error: r.lastRunError
				}
			: null,
		purgedRecords: Number(p?.n ?? 0),
		purgedConsoles: Number(p?.c ?? 0)
	};
}

export async function setRetention(db: Db, actor: Actor, days: number | null): Promise<RetentionView> {
	const before = await retentionRow(db);
	await db
		.update(accessLogRetention)
		.set({ days, updatedBy: actor.name, updatedAt: new Date() })
		.where(eq(accessLogRetention.id, 1));
	await audit(db, actor, {
		action: 'accessLog.retention.update',
		targetType: 'accessLogRetention',
		targetName: 'all devices',
		before: { days: before.days },
		after: { days }
	});
	return getRetention(db);
}

export async function setGroupRetention(
	db: Db,
	actor: Actor,
	groupId: number,
	days: number | null
): Promise<RetentionView> {
	const [g] = await db.select().from(deviceGroups).where(eq(deviceGroups.id, groupId));
	if (!g) throw new UserError(`There is no device group ${groupId}.`, 'NOT_FOUND');
	const [before] = await db
		.select()
		.from(accessLogRetentionGroups)
		.where(eq(accessLogRetentionGroups.groupId, groupId));
	if (days === null) {
		await db.delete(accessLogRetentionGroups).where(eq(accessLogRetentionGroups.groupId, groupId));
	} else {
		const row = { groupId, days, updatedBy: actor.name, updatedAt: new Date() };
		await db
			.insert(accessLogRetentionGroups)
			.values(row)
			.onConflictDoUpdate({ target: accessLogRetentionGroups.groupId, set: row });
	}
	await audit(db, actor, {
		action: 'accessLog.retention.update',
		targetType: 'deviceGroup',
		targetId: groupId,
		targetName: g.name,
		before: { days: before?.days ?? null },
		after: { days }
	});
	return getRetention(db);
}
