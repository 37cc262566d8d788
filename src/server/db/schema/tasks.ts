import { pgTable, text, integer, timestamp, jsonb, uuid, index, real } from 'drizzle-orm/pg-core';
import { agents } from './agents';
import { devices } from './access';

/** Captured output of one stream, cut at the task's output cap. */
export interface StoredOutput {
	text: string;
	truncated: boolean;
	bytes: number;
}

/**
 * Signed tasks: one row per task sent to one agent. `signed` is the envelope and signature exactly as sent,
 * kept until the task leaves the queue so it can be delivered when the agent comes back online. The agent's
 * status reports move `state` forward only: queued → running → succeeded / failed / refused / timed-out.
 */
export const tasks = pgTable(
	'tasks',
	{
		id: uuid('id').primaryKey(),
		agentId: uuid('agent_id')
			.notNull()
			.references(() => agents.id, { onDelete: 'cascade' }),
		deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
		kind: text('kind').notNull(),
		args: jsonb('args').notNull(),
		signed: jsonb('signed'),
		state: text('state').notNull().default('queued'),
		createdBy: text('created_by').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		/** The envelope's not-after: an undelivered task is given up at this time. */
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		/** When the agent acknowledged receiving it. */
		deliveredAt: timestamp('delivered_at', { withTimezone: true }),
		startedAt: timestamp('started_at', { withTimezone: true }),
		finishedAt: timestamp('finished_at', { withTimezone: true }),
		durationMs: real('duration_ms'),
		exitCode: integer('exit_code'),
		signal: text('signal'),
		/** Live output while running (capped); replaced by the final report's stdout/stderr. */
		progress: text('progress').notNull().default(''),
		stdout: jsonb('stdout').$type<StoredOutput>(),
		stderr: jsonb('stderr').$type<StoredOutput>(),
		result: jsonb('result'),
		error: text('error'),
		refusalReason: text('refusal_reason')
	},
	(t) => [
		index('tasks_agent_state_idx').on(t.agentId, t.state),
		index('tasks_device_created_idx').on(t.deviceId, t.createdAt),
		index('tasks_created_idx').on(t.createdAt)
	]
);
