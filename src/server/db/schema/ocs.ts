import { pgTable, serial, text, integer, timestamp, index } from 'drizzle-orm/pg-core';
import { devices } from './access';

/**
 * Hosts known through the OCS Inventory protocol (POST /ocsinventory), one row per OCS DEVICEID. They have
 * no certificate and no agent link, so nothing can be sent to them: they only report. `deviceId` is their
 * row in `devices`; their Device CI carries `agentId` = `ocs:<DEVICEID>`.
 */
export const ocsHosts = pgTable(
	'ocs_hosts',
	{
		id: serial('id').primaryKey(),
		/** The agent's DEVICEID, e.g. "web01-2026-01-31-09-15-02" (host name plus the agent's install time). */
		ocsDeviceId: text('ocs_device_id').notNull().unique(),
		deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
		hostname: text('hostname').notNull().default(''),
		/** ACCOUNTINFO TAG, when the agent was given one (`--tag`). */
		tag: text('tag'),
		firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
		lastPrologAt: timestamp('last_prolog_at', { withTimezone: true }),
		lastInventoryAt: timestamp('last_inventory_at', { withTimezone: true }),
		remoteAddress: text('remote_address').notNull().default(''),
		userAgent: text('user_agent').notNull().default('')
	},
	(t) => [index('ocs_hosts_device_idx').on(t.deviceId)]
);
