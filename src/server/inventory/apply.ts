// One host's inventory stored and reconciled right away, for callers that answer only once it is in the CMDB:
// the OCS endpoint (POST /ocsinventory) and tests. The same two halves as an agent's report (stage.ts, then
// batch.ts), except that this caller reconciles its host itself instead of leaving it to the worker. Should
// that fail or this process die, the host stays queued and the worker takes it a minute later.
import crypto from 'node:crypto';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import type { InventoryChange } from '../db/schema';
import { UserError } from '../errors';
import { emptyResult } from '../cmdb/reconcile/chunk';
import type { ReconcileResult } from '../cmdb/reconcile';
import {
	inventorySectionsSchema,
	type InventorySection,
	type InventorySections
} from '../../lib/protocol/inventory';
import { readInventoryMeta } from './store';
import { stageInventory, type InventoryHost } from './stage';
import { claimHosts } from './queue';
import { reconcileClaimed } from './batch';

export type { InventoryHost } from './stage';

export interface ApplyInventoryOptions {
	/** When the inventory was taken; default now. */
	at?: Date;
	/**
	 * Reconcile every section given when anything changed, not only those that differ from the stored copy.
	 * Default true: a whole inventory (OCS) also repairs CIs edited away in between. Unchanged sections write
	 * nothing either way, and an inventory with nothing changed is not reconciled at all.
	 */
	reconcileAll?: boolean;
	/** Whether the server now waits for a full inventory from this host. */
	fullRequested?: boolean;
	/** Who the CMDB history names; default "inventory". */
	actor?: Actor;
}

export interface ApplyInventoryResult {
	/** Something changed: a section's content, or a CMDB row. */
	changed: boolean;
	/** Sections whose content differs from the stored copy. */
	sectionsChanged: InventorySection[];
	/** What reconciliation did (all zero when nothing needed reconciling). */
	result: ReconcileResult;
	/** The host's Device CI, once it has one. */
	ciId: number | null;
	/** Set when the change was worth telling operators (not for a host's first inventory). */
	change: InventoryChange | null;
	/** Set when reconciliation failed: the host stays queued and the worker retries it. */
	error: string | null;
}

/** A caller that reconciles itself: the worker leaves the host alone this long unless it is still queued. */
const SELF_RECONCILE_GRACE_SECONDS = 60;

/**
 * Stores one host's inventory (all of it, or some sections: a section left out is left as it is) and
 * reconciles it into the CMDB before returning. An inventory whose sections are all unchanged writes no CMDB
 * row at all; only the host's `receivedAt` moves. Throws a UserError for an invalid inventory.
 *
 * Signature kept stable for the OCS endpoint: applyInventory(db, { key, name, deviceId, source }, inventory).
 */
export async function applyInventory(
	db: Db,
	host: InventoryHost,
	inventory: InventorySections,
	opts: ApplyInventoryOptions = {}
): Promise<ApplyInventoryResult> {
	const p = inventorySectionsSchema.safeParse(inventory);
	if (!p.success) {
		const i = p.error.issues[0];
		throw new UserError(`The inventory of ${host.name} is invalid: ${i?.path.join('.')}: ${i?.message}`);
	}
	const staged = await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		const stored = await readInventoryMeta(t, host.key, { lock: true });
		const s = await stageInventory(t, host, p.data, stored, {
			at: opts.at ?? new Date(),
			reconcileAll: opts.reconcileAll ?? true,
			fullRequested: opts.fullRequested,
			dueInSeconds: SELF_RECONCILE_GRACE_SECONDS
		});
		return { ...s, ciId: stored?.ciId ?? null };
	});
	const out: ApplyInventoryResult = {
		changed: staged.sectionsChanged.length > 0,
		sectionsChanged: staged.sectionsChanged,
		result: emptyResult(),
		ciId: staged.ciId,
		change: null,
		error: null
	};
	if (!staged.queued.length) return out;

	const token = crypto.randomUUID();
	const hosts = await claimHosts(db, { node: 'inline', token, limit: 1, keys: [host.key] });
	// Someone else holds it (the worker, on an earlier report): it reconciles the newest copy anyway.
	if (!hosts.length) return out;
	const b = await reconcileClaimed(db, hosts, token, { actor: opts.actor });
	const done = b.completed.get(host.key);
	out.result = b.result;
	out.changed ||= b.result.rowsWritten > 0;
	out.ciId = done?.ciId ?? hosts[0].ciId ?? out.ciId;
	out.change = done?.change ?? null;
	out.error = b.failed[0]?.message ?? null;
	return out;
}
