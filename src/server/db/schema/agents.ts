import {
	pgTable,
	text,
	integer,
	bigint,
	bigserial,
	timestamp,
	jsonb,
	uuid,
	index,
	uniqueIndex
} from 'drizzle-orm/pg-core';
import { deviceGroups, devices } from './access';
import { cmdbCis } from './cmdb';

/**
 * Fleetdesk's own keys: the CA ('ca'), the task-signing key ('task-signing') and each node's gateway
 * certificate ('gateway:<node>'). Private keys are AES-256-GCM ciphertext under the master key
 * (FLEETDESK_SECRET or FLEETDESK_DATA_DIR/secret.key); `keyId` names the master key that sealed them.
 */
export const pkiKeys = pgTable('pki_keys', {
	name: text('name').primaryKey(),
	certificate: text('certificate'),
	publicKey: text('public_key').notNull(),
	privateKey: text('private_key').notNull(),
	keyId: text('key_id').notNull(),
	/** For a gateway certificate: the names it was issued for. */
	names: jsonb('names').$type<string[]>().notNull().default([]),
	notAfter: timestamp('not_after', { withTimezone: true }),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
});

/** Join tokens: the secret is stored only as SHA-256 and shown once. */
export const joinTokens = pgTable('join_tokens', {
	id: text('id').primaryKey(),
	secretHash: text('secret_hash').notNull(),
	groupId: integer('group_id')
		.notNull()
		.references(() => deviceGroups.id, { onDelete: 'cascade' }),
	usesAllowed: integer('uses_allowed').notNull().default(1),
	usesCount: integer('uses_count').notNull().default(0),
	expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
	createdBy: text('created_by').notNull(),
	note: text('note').notNull().default(''),
	revokedAt: timestamp('revoked_at', { withTimezone: true }),
	lastUsedAt: timestamp('last_used_at', { withTimezone: true })
});

/** One enrolled agent identity. The certificate's SAN URI carries `id`; re-enrolling makes a new row. */
export const agents = pgTable(
	'agents',
	{
		id: uuid('id').primaryKey(),
		hostname: text('hostname').notNull(),
		deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
		ciId: integer('ci_id').references(() => cmdbCis.id, { onDelete: 'set null' }),
		tokenId: text('token_id').references(() => joinTokens.id, { onDelete: 'set null' }),
		certSerial: text('cert_serial').notNull(),
		certFingerprint: text('cert_fingerprint').notNull(),
		certNotAfter: timestamp('cert_not_after', { withTimezone: true }).notNull(),
		/** When the current certificate was issued (enrolment or the last renewal); null: at enrolment. */
		certIssuedAt: timestamp('cert_issued_at', { withTimezone: true }),
		/**
		 * The certificate replaced by the last renewal, still accepted until the agent first connects with the
		 * new one (a crash between the server issuing and the agent storing it must not lock the agent out).
		 */
		prevCertFingerprint: text('prev_cert_fingerprint'),
		/** An administrator asked for a new certificate; cleared when the agent renews. */
		certRenewRequestedAt: timestamp('cert_renew_requested_at', { withTimezone: true }),
		/** The client certificate (PEM): console credentials are sealed to its key. Null for agents enrolled before. */
		certificate: text('certificate'),
		agentVersion: text('agent_version').notNull().default(''),
		os: jsonb('os').$type<{ platform: string; release: string; arch: string }>(),
		enrolledAt: timestamp('enrolled_at', { withTimezone: true }).notNull().defaultNow(),
		enrolledFrom: text('enrolled_from').notNull().default(''),
		revokedAt: timestamp('revoked_at', { withTimezone: true }),
		revokedBy: text('revoked_by'),
		lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
		lastAddress: text('last_address').notNull().default(''),
		/** The live connection: which node holds it, until when (renewed while it lasts). */
		connectedNode: text('connected_node'),
		connectionId: text('connection_id'),
		leaseUntil: timestamp('lease_until', { withTimezone: true }),
		/** Highest report sequence applied; a report at or below it is a duplicate. */
		lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
		/** Reports the agent had to drop because its buffer was full (as it last told us). */
		droppedReports: bigint('dropped_reports', { mode: 'number' }).notNull().default(0)
	},
	(t) => [index('agents_device_idx').on(t.deviceId), index('agents_connection_idx').on(t.connectionId)]
);

/** What agents report about themselves (started, buffer overflow, …), one row per report. */
export const agentEvents = pgTable(
	'agent_events',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		agentId: uuid('agent_id')
			.notNull()
			.references(() => agents.id, { onDelete: 'cascade' }),
		seq: bigint('seq', { mode: 'number' }).notNull(),
		at: timestamp('at', { withTimezone: true }).notNull(),
		receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
		level: text('level').notNull(),
		message: text('message').notNull()
	},
	(t) => [uniqueIndex('agent_events_seq_idx').on(t.agentId, t.seq)]
);
