import {
	bigint,
	bigserial,
	boolean,
	index,
	integer,
	jsonb,
	pgTable,
	serial,
	text,
	timestamp,
	uuid
} from 'drizzle-orm/pg-core';
import type { FileState, LogEventSource } from '../../../lib/protocol/logs';
import { deviceGroups, devices } from './access';
import { agents } from './agents';
import { users } from './auth';

/** What each agent said about its logs after its last hello: allow lists, journal, the config it holds. */
export const logAgents = pgTable('log_agents', {
	agentId: uuid('agent_id')
		.primaryKey()
		.references(() => agents.id, { onDelete: 'cascade' }),
	allow: jsonb('allow').$type<string[]>().notNull().default([]),
	journal: boolean('journal').notNull().default(false),
	configVersion: text('config_version'),
	reportedAt: timestamp('reported_at', { withTimezone: true }).notNull().defaultNow()
});

/**
 * Read sessions the agents hold (opened by signed `logs-open` tasks), shared by every node: one per agent and
 * source, reused by every reader until it is about to expire.
 */
export const logSessions = pgTable(
	'log_sessions',
	{
		id: uuid('id').primaryKey(),
		agentId: uuid('agent_id')
			.notNull()
			.references(() => agents.id, { onDelete: 'cascade' }),
		/** 'file:/var/log/syslog' or 'journal'. */
		sourceKey: text('source_key').notNull(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('log_sessions_agent_source_idx').on(t.agentId, t.sourceKey)]
);

/** A bookmark on a line: of a file or the journal on a device, or of a console's access log. Shared by all. */
export const logBookmarks = pgTable(
	'log_bookmarks',
	{
		id: serial('id').primaryKey(),
		/** 'file' | 'journal' | 'access-log'. */
		sourceType: text('source_type').notNull(),
		deviceId: integer('device_id').references(() => devices.id, { onDelete: 'cascade' }),
		path: text('path'),
		consoleId: integer('console_id'),
		/** 1-based line number (file or access log). */
		line: bigint('line', { mode: 'number' }),
		/** Byte offset of the line's start (files), the anchor when the file changed above it. */
		byteOffset: bigint('byte_offset', { mode: 'number' }),
		/** Journal cursor. */
		cursor: text('cursor'),
		/** The line's text when it was bookmarked (to find it again, and to show in the list). */
		anchor: text('anchor').notNull().default(''),
		note: text('note').notNull().default(''),
		tag: text('tag').notNull().default(''),
		createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
		createdByName: text('created_by_name').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		index('log_bookmarks_device_path_idx').on(t.deviceId, t.path),
		index('log_bookmarks_console_idx').on(t.consoleId)
	]
);

/** Pattern rules: a regex per device group, run on console output and the agents' log files. */
export const logRules = pgTable(
	'log_rules',
	{
		id: serial('id').primaryKey(),
		groupId: integer('group_id')
			.notNull()
			.references(() => deviceGroups.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		pattern: text('pattern').notNull(),
		ignoreCase: boolean('ignore_case').notNull().default(false),
		severity: text('severity').notNull().default('warning'),
		/** Run on console output, on log files (and the journal), or both. */
		onConsoles: boolean('on_consoles').notNull().default(true),
		onFiles: boolean('on_files').notNull().default(true),
		enabled: boolean('enabled').notNull().default(true),
		createdBy: text('created_by').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('log_rules_group_idx').on(t.groupId)]
);

/** A device group's own list of watched files; a device in no group with a list watches the defaults. */
export const logWatchLists = pgTable('log_watch_lists', {
	groupId: integer('group_id')
		.primaryKey()
		.references(() => deviceGroups.id, { onDelete: 'cascade' }),
	paths: jsonb('paths').$type<string[]>().notNull(),
	updatedBy: text('updated_by').notNull(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/**
 * What pattern rules and the file watch raised. A flood of matches of one rule on one device is folded into
 * the event of the last minute (`count`, `lastLine`, `lastAt`), never dropped.
 */
export const logEvents = pgTable(
	'log_events',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		kind: text('kind').$type<'pattern' | 'file-change'>().notNull(),
		deviceId: integer('device_id').references(() => devices.id, { onDelete: 'cascade' }),
		agentId: uuid('agent_id'),
		ruleId: integer('rule_id').references(() => logRules.id, { onDelete: 'set null' }),
		ruleName: text('rule_name'),
		severity: text('severity').notNull(),
		source: jsonb('source').$type<LogEventSource>(),
		line: text('line').notNull(),
		count: integer('count').notNull().default(1),
		lastLine: text('last_line'),
		lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
		change: jsonb('change').$type<{
			path: string;
			before: FileState | null;
			after: FileState;
			changed: string[];
		}>(),
		at: timestamp('at', { withTimezone: true }).notNull(),
		ackedAt: timestamp('acked_at', { withTimezone: true }),
		ackedBy: text('acked_by')
	},
	(t) => [
		index('log_events_device_at_idx').on(t.deviceId, t.at),
		index('log_events_at_idx').on(t.at),
		index('log_events_rule_device_idx').on(t.ruleId, t.deviceId, t.lastAt)
	]
);
