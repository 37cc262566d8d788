import { pgTable, bigserial, text, integer, timestamp, jsonb, index } from 'drizzle-orm/pg-core';

/** Who changed who-can-do-what or what-runs-where. Append-only. */
export const auditLog = pgTable(
	'audit_log',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
		actorId: integer('actor_id'),
		actorName: text('actor_name').notNull(),
		action: text('action').notNull(),
		targetType: text('target_type').notNull(),
		targetId: text('target_id').notNull().default(''),
		targetName: text('target_name').notNull().default(''),
		before: jsonb('before'),
		after: jsonb('after'),
		ip: text('ip').notNull().default('')
	},
	(t) => [index('audit_at_idx').on(t.at), index('audit_action_idx').on(t.action)]
);
