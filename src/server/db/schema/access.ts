import { pgTable, serial, text, integer, boolean, timestamp, primaryKey, jsonb } from 'drizzle-orm/pg-core';
import { users } from './auth';

export const roles = pgTable('roles', {
	id: serial('id').primaryKey(),
	name: text('name').notNull().unique(),
	description: text('description').notNull().default(''),
	/** Global actions (see protocol/permissions). '*' means every action on every device. */
	permissions: jsonb('permissions').$type<string[]>().notNull().default([]),
	builtIn: boolean('built_in').notNull().default(false)
});

export const userRoles = pgTable(
	'user_roles',
	{
		userId: integer('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		roleId: integer('role_id')
			.notNull()
			.references(() => roles.id, { onDelete: 'cascade' })
	},
	(t) => [primaryKey({ columns: [t.userId, t.roleId] })]
);

/** The managed machines. Later issues link each to its Device CI and agent. */
export const devices = pgTable('devices', {
	id: serial('id').primaryKey(),
	name: text('name').notNull().unique(),
	description: text('description').notNull().default(''),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
});

export const deviceGroups = pgTable('device_groups', {
	id: serial('id').primaryKey(),
	name: text('name').notNull().unique(),
	description: text('description').notNull().default(''),
	/** A group that implicitly holds every device, present and future. */
	allDevices: boolean('all_devices').notNull().default(false)
});

export const deviceGroupMembers = pgTable(
	'device_group_members',
	{
		groupId: integer('group_id')
			.notNull()
			.references(() => deviceGroups.id, { onDelete: 'cascade' }),
		deviceId: integer('device_id')
			.notNull()
			.references(() => devices.id, { onDelete: 'cascade' })
	},
	(t) => [primaryKey({ columns: [t.groupId, t.deviceId] })]
);

/** Role × device group × device actions. */
export const grants = pgTable('grants', {
	id: serial('id').primaryKey(),
	roleId: integer('role_id')
		.notNull()
		.references(() => roles.id, { onDelete: 'cascade' }),
	groupId: integer('group_id')
		.notNull()
		.references(() => deviceGroups.id, { onDelete: 'cascade' }),
	actions: jsonb('actions').$type<string[]>().notNull().default([])
});
