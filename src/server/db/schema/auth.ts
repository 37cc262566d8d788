import { pgTable, serial, text, integer, boolean, timestamp, index } from 'drizzle-orm/pg-core';

export const users = pgTable('users', {
	id: serial('id').primaryKey(),
	username: text('username').notNull().unique(),
	displayName: text('display_name').notNull().default(''),
	email: text('email').notNull().default(''),
	passwordHash: text('password_hash').notNull(),
	/** Locked by an administrator until unlocked. */
	locked: boolean('locked').notNull().default(false),
	failedAttempts: integer('failed_attempts').notNull().default(0),
	/** Set by the brute-force guard; sign-in is refused until then. */
	lockedUntil: timestamp('locked_until', { withTimezone: true }),
	mustChangePassword: boolean('must_change_password').notNull().default(false),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
	lastLoginAt: timestamp('last_login_at', { withTimezone: true })
});

export const sessions = pgTable(
	'sessions',
	{
		/** The public half of the token `id.secret`. */
		id: text('id').primaryKey(),
		/** SHA-256 of the secret half; the secret itself is never stored. */
		secretHash: text('secret_hash').notNull(),
		userId: integer('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		ip: text('ip').notNull().default(''),
		userAgent: text('user_agent').notNull().default('')
	},
	(t) => [index('sessions_user_idx').on(t.userId)]
);

/** REST API tokens: shown once, stored as SHA-256, scoped, expiring, revocable. */
export const apiTokens = pgTable(
	'api_tokens',
	{
		id: serial('id').primaryKey(),
		userId: integer('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		/** First characters of the token, to recognise it in lists. */
		prefix: text('prefix').notNull(),
		tokenHash: text('token_hash').notNull().unique(),
		scope: text('scope').notNull(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		revokedAt: timestamp('revoked_at', { withTimezone: true }),
		lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('api_tokens_user_idx').on(t.userId)]
);
