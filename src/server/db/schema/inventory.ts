import { sql } from 'drizzle-orm';
import { pgTable, text, integer, timestamp, jsonb, index } from 'drizzle-orm/pg-core';
import { devices } from './access';
import { cmdbCis } from './cmdb';
import type { Inventory, InventorySection } from '../../../lib/protocol/inventory';

/** What changed in the last inventory that changed something, as the notification told it. */
export interface InventoryChange {
	at: string;
	/** Per section: items added, removed and changed (scalar sections count as one changed item). */
	sections: { section: InventorySection; added: number; removed: number; changed: number }[];
	/** CMDB rows written (CIs, relations, history) by the reconciliation. */
	cmdbRows: number;
	summary: string;
}

/**
 * A change stored with a report and not yet told: the reconciliation worker raises the notification (and
 * records it as `lastChange`) once the CMDB has it. Changes of several reports waiting together are summed.
 */
export interface PendingInventoryChange {
	at: string;
	sections: InventoryChange['sections'];
	summary: string;
	/** The sequence number of the (latest) agent report it came with: the agent event is recorded under it. */
	seq: number | null;
}

/**
 * The latest normalised inventory of each host, one column per section so that a delta rewrites only the
 * sections it carries (an unchanged software list stays where it is). `key` is the Device CI's agentId: the
 * agent's id, or 'ocs:<DEVICEID>' for a host known only through an OCS agent.
 */
export const inventories = pgTable(
	'inventories',
	{
		key: text('key').primaryKey(),
		/** Who sent it: 'agent' (the Fleetdesk agent) or 'ocs' (an OCS Inventory agent). */
		source: text('source').notNull(),
		name: text('name').notNull(),
		deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
		ciId: integer('ci_id').references(() => cmdbCis.id, { onDelete: 'set null' }),
		system: jsonb('system').$type<Inventory['system']>(),
		bios: jsonb('bios').$type<Inventory['bios']>(),
		baseboard: jsonb('baseboard').$type<Inventory['baseboard']>(),
		os: jsonb('os').$type<Inventory['os']>(),
		cpu: jsonb('cpu').$type<Inventory['cpu']>(),
		memory: jsonb('memory').$type<Inventory['memory']>(),
		storage: jsonb('storage').$type<Inventory['storage']>(),
		partitions: jsonb('partitions').$type<Inventory['partitions']>(),
		network: jsonb('network').$type<Inventory['network']>(),
		software: jsonb('software').$type<Inventory['software']>(),
		video: jsonb('video').$type<Inventory['video']>(),
		displays: jsonb('displays').$type<Inventory['displays']>(),
		printers: jsonb('printers').$type<Inventory['printers']>(),
		usb: jsonb('usb').$type<Inventory['usb']>(),
		/** SHA-256 of each stored section's canonical JSON (what an agent's delta is checked against). */
		hashes: jsonb('hashes').$type<Partial<Record<InventorySection, string>>>().notNull().default({}),
		/** When each section's content last changed. */
		sectionChangedAt: jsonb('section_changed_at')
			.$type<Partial<Record<InventorySection, string>>>()
			.notNull()
			.default({}),
		/** The last report, changed or not. */
		receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
		/** The last report that changed any section. */
		changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
		lastChange: jsonb('last_change').$type<InventoryChange>(),
		/** Set while the server waits for a full inventory it asked the agent for (its copy is incomplete). */
		fullRequestedAt: timestamp('full_requested_at', { withTimezone: true }),
		// Reconciliation into the CMDB runs after the report, in batches (src/server/inventory/worker.ts).
		/** Sections waiting to be reconciled; null when nothing waits. */
		reconcileSections: jsonb('reconcile_sections').$type<InventorySection[]>(),
		/** When the worker may take it (now, or later after a failure); null when nothing waits. */
		reconcileDueAt: timestamp('reconcile_due_at', { withTimezone: true }),
		/** When the oldest report still waiting was stored. */
		reconcileQueuedAt: timestamp('reconcile_queued_at', { withTimezone: true }),
		/** Raised by every report that queues: a worker that finds it moved on leaves the host pending. */
		reconcileVersion: integer('reconcile_version').notNull().default(0),
		/** The node working on it, since when, and that claim's token (a stale claim is taken over). */
		reconcileClaimedBy: text('reconcile_claimed_by'),
		reconcileClaimedAt: timestamp('reconcile_claimed_at', { withTimezone: true }),
		reconcileClaim: text('reconcile_claim'),
		/** Failed attempts in a row, and the last failure (cleared by a success). */
		reconcileAttempts: integer('reconcile_attempts').notNull().default(0),
		reconcileError: text('reconcile_error'),
		pendingChange: jsonb('pending_change').$type<PendingInventoryChange>()
	},
	(t) => [
		index('inventories_device_idx').on(t.deviceId),
		index('inventories_ci_idx').on(t.ciId),
		index('inventories_reconcile_due_idx')
			.on(t.reconcileDueAt)
			.where(sql`${t.reconcileDueAt} is not null`)
	]
);
