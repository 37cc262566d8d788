import {
	bigint,
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
import type { ConsoleTarget } from '../../../lib/protocol/consoles';
import { devices } from './access';
import { agents } from './agents';
import { users } from './auth';

/** A console credential sealed with the master key (src/server/consoles/vault.ts); never sent to a browser. */
export interface SealedCredential {
	keyId: string;
	iv: string;
	ct: string;
	tag: string;
}

/**
 * A console: a named access path to a device (shell or serial on its agent host, ssh or telnet from an agent
 * that can reach it). Its pipe runs on `agentId`'s host; permissions are checked against `deviceId`.
 */
export const consoles = pgTable(
	'consoles',
	{
		id: serial('id').primaryKey(),
		name: text('name').notNull().unique(),
		deviceId: integer('device_id')
			.notNull()
			.references(() => devices.id, { onDelete: 'cascade' }),
		/** The agent that runs the pipe (for shell and serial: the device's own agent). */
		agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'set null' }),
		kind: text('kind').$type<ConsoleTarget['kind']>().notNull(),
		target: jsonb('target').$type<ConsoleTarget>().notNull(),
		/** ssh: the password or private key, sealed with the master key (AES-256-GCM); never sent to a browser. */
		credential: jsonb('credential').$type<SealedCredential>(),
		description: text('description').notNull().default(''),
		tags: text('tags').array().notNull().default([]),
		/** Keep the pipe open (and capturing) with nobody watching. */
		persistent: boolean('persistent').notNull().default(true),
		/** Only one writer holds the keyboard at a time (conserver-style). */
		oneWriter: boolean('one_writer').notNull().default(false),
		scrollbackBytes: integer('scrollback_bytes')
			.notNull()
			.default(256 * 1024),
		enabled: boolean('enabled').notNull().default(true),
		/** The current pipe (a new id each time the server opens it) and what the agent last said about it. */
		pipeId: uuid('pipe_id'),
		pipeState: text('pipe_state').notNull().default('stopped'),
		pipeMessage: text('pipe_message'),
		pipeStateAt: timestamp('pipe_state_at', { withTimezone: true }),
		/**
		 * Viewers number output per console, not per pipe: output n of the current pipe is `seqBase + n` in the
		 * room, so a new pipe continues where the last one ended.
		 */
		seqBase: bigint('seq_base', { mode: 'number' }).notNull().default(0),
		/** A user stopped the console: no pipe opens (not even for a persistent one) until someone starts it. */
		stoppedAt: timestamp('stopped_at', { withTimezone: true }),
		stoppedBy: text('stopped_by'),
		/** One-writer consoles: who holds the keyboard (null: nobody). */
		writerId: integer('writer_id').references(() => users.id, { onDelete: 'set null' }),
		createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		index('consoles_device_idx').on(t.deviceId),
		index('consoles_agent_idx').on(t.agentId),
		index('consoles_pipe_idx').on(t.pipeId)
	]
);
