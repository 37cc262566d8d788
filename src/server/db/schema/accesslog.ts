import {
	bigint,
	boolean,
	check,
	customType,
	index,
	integer,
	jsonb,
	pgTable,
	primaryKey,
	serial,
	text,
	timestamp,
	uuid
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { users } from './auth';
import { deviceGroups } from './access';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
	dataType: () => 'bytea',
	fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength))
});

export type AccessLogKind = 'output' | 'input' | 'event';

/**
 * Every byte a console sent or received, append-only and hash-chained per console (docs/access-logs.md).
 * No foreign keys: the log outlives the console, device and user it names. Nothing ever updates a row, and only
 * retention deletes, whole prefixes of a chain (see access_log_checkpoints); `seq` counts from 1 per console without gaps, `hash` = SHA-256 of the canonical record (which covers
 * `prev_hash`), `mac` = HMAC of `hash` with a key only the servers hold.
 */
export const accessLogRecords = pgTable(
	'access_log_records',
	{
		consoleId: integer('console_id').notNull(),
		seq: bigint('seq', { mode: 'number' }).notNull(),
		at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
		kind: text('kind').$type<AccessLogKind>().notNull(),
		deviceId: integer('device_id'),
		userId: integer('user_id'),
		username: text('username'),
		pipeId: uuid('pipe_id'),
		agentSeq: bigint('agent_seq', { mode: 'number' }),
		data: bytea('data').notNull(),
		prevHash: bytea('prev_hash').notNull(),
		hash: bytea('hash').notNull(),
		mac: bytea('mac').notNull()
	},
	(t) => [
		primaryKey({ columns: [t.consoleId, t.seq] }),
		index('access_log_records_at_idx').on(t.consoleId, t.at),
		index('access_log_records_pipe_idx')
			.on(t.pipeId, t.agentSeq)
			.where(sql`${t.pipeId} is not null`)
	]
);

/**
 * One row per console: where its chain ends, locked by every writer for the length of its transaction (so
 * several app nodes append in one order), and an HMAC over it so that cutting or rewriting the tail shows.
 */
export const accessLogHeads = pgTable('access_log_heads', {
	consoleId: integer('console_id').primaryKey(),
	deviceId: integer('device_id'),
	/** Retention removes whole old segments: the chain then starts at first_seq, linked to first_prev_hash. */
	firstSeq: bigint('first_seq', { mode: 'number' }).notNull().default(1),
	firstPrevHash: bytea('first_prev_hash').notNull(),
	lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
	lastHash: bytea('last_hash').notNull(),
	lastAt: timestamp('last_at', { withTimezone: true, precision: 3 }),
	mac: bytea('mac').notNull(),
	/** The pipe that last wrote output, and its highest agent sequence number stored (duplicates are dropped). */
	pipeId: uuid('pipe_id'),
	pipeAgentSeq: bigint('pipe_agent_seq', { mode: 'number' }).notNull().default(0),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/**
 * The output as text lines for search and the log viewer: ANSI stripped, split on newlines. One row holds the
 * lines that one output record completed (its `seq` and time), numbered per console from 1. Derived from the
 * records by the line indexer, which trails the writer by a moment (trigram indexing costs more than writing).
 */
export const accessLogLines = pgTable(
	'access_log_lines',
	{
		consoleId: integer('console_id').notNull(),
		firstLine: bigint('first_line', { mode: 'number' }).notNull(),
		lineCount: integer('line_count').notNull(),
		deviceId: integer('device_id'),
		seq: bigint('seq', { mode: 'number' }).notNull(),
		at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
		text: text('text').notNull()
	},
	(t) => [
		primaryKey({ columns: [t.consoleId, t.firstLine] }),
		index('access_log_lines_at_idx').on(t.consoleId, t.at),
		index('access_log_lines_text_idx')
			.using('gin', t.text.op('gin_trgm_ops'))
			.with({ gin_pending_list_limit: 4096 })
	]
);

/** How far the line indexer got in each console's chain, and the output after the last newline. */
export const accessLogLineState = pgTable('access_log_line_state', {
	consoleId: integer('console_id').primaryKey(),
	seq: bigint('seq', { mode: 'number' }).notNull().default(0),
	lineCount: bigint('line_count', { mode: 'number' }).notNull().default(0),
	partial: bytea('partial'),
	/** The time of the output that started the unfinished line. */
	partialAt: timestamp('partial_at', { withTimezone: true, precision: 3 })
});

export type ForwarderKind = 'syslog-tcp' | 'syslog-tls' | 'https';

/** Where access-log records are copied to as they are written (syslog over TCP/TLS, or HTTPS). */
export const accessLogForwarders = pgTable('access_log_forwarders', {
	id: serial('id').primaryKey(),
	name: text('name').notNull().unique(),
	kind: text('kind').$type<ForwarderKind>().notNull(),
	/** syslog: host and port; https: the URL. */
	host: text('host'),
	port: integer('port'),
	url: text('url'),
	/** PEM of the CA that signs the endpoint's certificate; null: the system's trusted CAs. */
	caPem: text('ca_pem'),
	/** syslog-tls: the name the endpoint's certificate must carry (SNI too), when it differs from the host. */
	serverName: text('server_name'),
	/** https: a bearer token, sealed with the master key. */
	token: jsonb('token').$type<{ keyId: string; sealed: string }>(),
	/** https: the header the token goes in; null: Authorization (a bare token as a bearer token). */
	tokenHeader: text('token_header'),
	/** https: more request headers, sent as they are (not secret: shown in the desktop and the audit). */
	headers: jsonb('headers').$type<{ name: string; value: string }[]>().notNull().default([]),
	/** RFC 5424 facility (default 10, authpriv) and the largest message before a record is split. */
	facility: integer('facility').notNull().default(10),
	maxMessageBytes: integer('max_message_bytes').notNull().default(8192),
	enabled: boolean('enabled').notNull().default(true),
	/** The node forwarding now, until its lease ends (another takes over after that). */
	leaseNode: text('lease_node'),
	leaseUntil: timestamp('lease_until', { withTimezone: true }),
	lastError: text('last_error'),
	lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
	lastSentAt: timestamp('last_sent_at', { withTimezone: true }),
	sentRecords: bigint('sent_records', { mode: 'number' }).notNull().default(0),
	/** Since when the worker's connection (syslog) has been up, or its last batch accepted (HTTPS); null: down. */
	connectedSince: timestamp('connected_since', { withTimezone: true }),
	createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/** How far a forwarder got in each console's chain; a console without a row is sent from its start. */
export const accessLogForwardCursors = pgTable(
	'access_log_forward_cursors',
	{
		forwarderId: integer('forwarder_id')
			.notNull()
			.references(() => accessLogForwarders.id, { onDelete: 'cascade' }),
		consoleId: integer('console_id').notNull(),
		seq: bigint('seq', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.forwarderId, t.consoleId] })]
);

/**
 * Access-log retention for the whole system (one row, id 1): records older than `days` are purged by the
 * retention job (null: kept forever). The job's last run is noted here too; `run_started_at` doubles as the
 * lease that lets one node at a time run it.
 */
export const accessLogRetention = pgTable(
	'access_log_retention',
	{
		id: integer('id').primaryKey().default(1),
		days: integer('days'),
		updatedBy: text('updated_by'),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
		runNode: text('run_node'),
		runStartedAt: timestamp('run_started_at', { withTimezone: true }),
		lastRunAt: timestamp('last_run_at', { withTimezone: true }),
		lastRunRecords: bigint('last_run_records', { mode: 'number' }).notNull().default(0),
		lastRunConsoles: integer('last_run_consoles').notNull().default(0),
		/** Records past retention that were kept because an enabled forwarder has not sent them yet. */
		lastRunHeldBack: bigint('last_run_held_back', { mode: 'number' }).notNull().default(0),
		lastRunError: text('last_run_error')
	},
	(t) => [check('access_log_retention_one_row', sql`${t.id} = 1`)]
);

/** A device group's own retention: a device in such groups keeps its logs for the longest of their periods. */
export const accessLogRetentionGroups = pgTable('access_log_retention_groups', {
	groupId: integer('group_id')
		.primaryKey()
		.references(() => deviceGroups.id, { onDelete: 'cascade' }),
	days: integer('days').notNull(),
	updatedBy: text('updated_by').notNull(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/**
 * Where retention cut a console's chain: the last purged record (its seq, hash and time) and who purged when,
 * with an HMAC over all of it (chain.ts checkpointMac). Verification starts after it instead of at record 1.
 * One row per console, moved forward by each purge; the audit log keeps every purge.
 */
export const accessLogCheckpoints = pgTable('access_log_checkpoints', {
	consoleId: integer('console_id').primaryKey(),
	seq: bigint('seq', { mode: 'number' }).notNull(),
	hash: bytea('hash').notNull(),
	at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
	purgedAt: timestamp('purged_at', { withTimezone: true, precision: 3 }).notNull(),
	purgedBy: text('purged_by').notNull(),
	/** Records purged from this console so far, over all purges. */
	records: bigint('records', { mode: 'number' }).notNull(),
	mac: bytea('mac').notNull()
});
