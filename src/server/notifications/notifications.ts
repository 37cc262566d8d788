import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { notificationReads, notifications, roles, users } from '../db/schema';
import type { Notification, SendNotificationInput } from '../../lib/protocol/desktop';
import type { Principal } from '../auth/permissions';
import { runtime, hasRuntime } from '../runtime';
import { UserError } from '../errors';

function toView(row: typeof notifications.$inferSelect, read: boolean): Notification {
	return {
		id: row.id,
		title: row.title,
		body: row.body,
		level: row.level as Notification['level'],
		from: row.createdBy,
		createdAt: row.createdAt.toISOString(),
		read,
		link: row.link
	};
}

/** Stores a notification and pushes it live to every browser in its audience, on every node. */
export async function sendNotification(
	db: Db,
	from: string,
	input: SendNotificationInput
): Promise<Notification> {
	const a = input.audience;
	if (
		a.type === 'user' &&
		!(await db.select({ id: users.id }).from(users).where(eq(users.id, a.userId))).length
	)
		throw new UserError(`There is no user with id ${a.userId}.`, 'NOT_FOUND');
	if (
		a.type === 'role' &&
		!(await db.select({ id: roles.id }).from(roles).where(eq(roles.id, a.roleId))).length
	)
		throw new UserError(`There is no role with id ${a.roleId}.`, 'NOT_FOUND');
	const [row] = await db
		.insert(notifications)
		.values({
			audienceType: a.type,
			audienceId: a.type === 'user' ? a.userId : a.type === 'role' ? a.roleId : null,
			title: input.title,
			body: input.body,
			level: input.level,
			link: input.link ?? null,
			createdBy: from
		})
		.returning();
	const view = toView(row, false);
	if (hasRuntime()) {
		const room = a.type === 'all' ? 'all' : a.type === 'user' ? `user:${a.userId}` : `role:${a.roleId}`;
		runtime().io?.of('/desktop').to(room).emit('notification', view);
	}
	return view;
}

function audienceFilter(user: Principal) {
	const roleIds = user.roles.map((r) => r.id);
	return or(
		eq(notifications.audienceType, 'all'),
		and(eq(notifications.audienceType, 'user'), eq(notifications.audienceId, user.userId)),
		roleIds.length
			? and(eq(notifications.audienceType, 'role'), inArray(notifications.audienceId, roleIds))
			: sql`false`
	);
}

export async function listNotifications(db: Db, user: Principal, limit = 50): Promise<Notification[]> {
	const rows = await db
		.select({ n: notifications, readAt: notificationReads.readAt })
		.from(notifications)
		.leftJoin(
			notificationReads,
			and(eq(notificationReads.notificationId, notifications.id), eq(notificationReads.userId, user.userId))
		)
		.where(audienceFilter(user))
		.orderBy(desc(notifications.id))
		.limit(limit);
	return rows.map((r) => toView(r.n, r.readAt !== null));
}

export async function markNotificationsRead(db: Db, user: Principal, ids: number[] | 'all'): Promise<void> {
	const visible = await listNotifications(db, user, 500);
	const targets = visible.filter((n) => !n.read && (ids === 'all' || ids.includes(n.id)));
	if (!targets.length) return;
	await db
		.insert(notificationReads)
		.values(targets.map((n) => ({ userId: user.userId, notificationId: n.id })))
		.onConflictDoNothing();
}
