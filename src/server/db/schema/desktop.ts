import { pgTable, integer, timestamp, jsonb, bigserial, text, primaryKey, index } from 'drizzle-orm/pg-core';
import { users } from './auth';

export const desktopLayouts = pgTable('desktop_layouts', {
	userId: integer('user_id')
		.primaryKey()
		.references(() => users.id, { onDelete: 'cascade' }),
	layout: jsonb('layout').notNull(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

export const notifications = pgTable(
	'notifications',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		/** 'all' | 'user' | 'role' */
		audienceType: text('audience_type').notNull(),
		audienceId: integer('audience_id'),
		title: text('title').notNull(),
		body: text('body').notNull().default(''),
		level: text('level').notNull().default('info'),
		createdBy: text('created_by').notNull().default('system'),
		/** A desktop link (`/?app=…`) to what the notification is about. */
		link: text('link')
	},
	(t) => [index('notifications_created_idx').on(t.createdAt)]
);

export const notificationReads = pgTable(
	'notification_reads',
	{
		userId: integer('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		notificationId: integer('notification_id').notNull(),
		readAt: timestamp('read_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [primaryKey({ columns: [t.userId, t.notificationId] })]
);
