import {
	index,
	integer,
	jsonb,
	pgTable,
	primaryKey,
	serial,
	text,
	timestamp,
	uniqueIndex
} from 'drizzle-orm/pg-core';
import type { MacroStep } from '../../../lib/protocol/gang';
import { roles } from './access';
import { users } from './auth';

/**
 * A console macro: lines to type, wait-for-regex steps and delays (src/lib/protocol/gang.ts). The owner and
 * consoles.manage edit it; members of the roles it is shared with may play it (each console still needs
 * console.write on its device when it plays).
 */
export const macros = pgTable(
	'macros',
	{
		id: serial('id').primaryKey(),
		name: text('name').notNull(),
		description: text('description').notNull().default(''),
		steps: jsonb('steps').$type<MacroStep[]>().notNull(),
		/** Null once the owner's account is deleted: only consoles.manage edits it then. */
		ownerId: integer('owner_id').references(() => users.id, { onDelete: 'set null' }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [uniqueIndex('macros_owner_name_idx').on(t.ownerId, t.name)]
);

/** The roles a macro is shared with. */
export const macroShares = pgTable(
	'macro_shares',
	{
		macroId: integer('macro_id')
			.notNull()
			.references(() => macros.id, { onDelete: 'cascade' }),
		roleId: integer('role_id')
			.notNull()
			.references(() => roles.id, { onDelete: 'cascade' })
	},
	(t) => [primaryKey({ columns: [t.macroId, t.roleId] }), index('macro_shares_role_idx').on(t.roleId)]
);
