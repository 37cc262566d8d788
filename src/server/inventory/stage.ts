// The first half of taking an inventory, done while the report is received (inside the agent report's
// exactly-once transaction): compare it with the stored copy, store the sections that changed, and queue the
// host for the reconciliation worker with the sections it must bring into the CMDB. Cheap on purpose: the
// CMDB work is done later, in batches of many hosts (worker.ts). An unchanged inventory queues nothing.
import type { Db } from '../db/client';
import type { PendingInventoryChange } from '../db/schema';
import {
	INVENTORY_SECTIONS,
	type InventorySection,
	type InventorySections
} from '../../lib/protocol/inventory';
import { hashSections, presentSections, type SectionHashes } from './hash';
import { describeChanges, summarise } from './diff';
import { readSections, writeInventory, type InventoryMeta } from './store';

export interface InventoryHost {
	/** The value of Device.agentId: the agent's id (uuid), or 'ocs:<DEVICEID>' for a host known only through OCS. */
	key: string;
	/** The Device CI's name (the host name). */
	name: string;
	/** The host's row in `devices`, when it has one. */
	deviceId: number | null;
	source: 'agent' | 'ocs';
}

export interface StageOptions {
	at: Date;
	/**
	 * A whole inventory: when anything in it changed, every section is reconciled again (this also repairs CIs
	 * edited away in between). Otherwise (an agent's delta) only the sections that changed.
	 */
	reconcileAll: boolean;
	/** Whether the server now waits for a full inventory from this host; undefined: as it was. */
	fullRequested?: boolean;
	/** The agent report's sequence number (the agent event of a change is recorded under it). */
	seq?: number | null;
	/** When the worker may take the host: now by default; later when the caller reconciles it itself. */
	dueInSeconds?: number;
	/** hashSections(inv), when the caller has it already (hashing 300 packages is not free). */
	hashes?: SectionHashes;
}

export interface StageResult {
	/** Sections whose content differs from the stored copy. */
	sectionsChanged: InventorySection[];
	/** Sections queued for reconciliation (empty: nothing queued). */
	queued: InventorySection[];
	/** The change to tell operators once reconciled (null for a host's first inventory or no change). */
	change: PendingInventoryChange | null;
}

/**
 * Stores `inv` (validated; some sections or all) over `stored` (read with { lock: true } in the same
 * transaction) and queues what must be reconciled.
 */
export async function stageInventory(
	t: Db,
	host: InventoryHost,
	inv: InventorySections,
	stored: InventoryMeta | null,
	opts: StageOptions
): Promise<StageResult> {
	const hashes = opts.hashes ?? hashSections(inv);
	const present = presentSections(inv);
	const changed = present.filter((s) => stored?.hashes[s] !== hashes[s]);

	let queued: InventorySection[] = [];
	if (!stored) queued = present;
	// No Device CI yet (its first reconciliation failed, or an operator deleted it): it needs everything held.
	else if (stored.ciId === null) {
		const held = new Set([...present, ...(Object.keys(stored.hashes) as InventorySection[])]);
		queued = INVENTORY_SECTIONS.filter((s) => held.has(s));
	} else if (changed.length) queued = opts.reconcileAll ? present : changed;

	const sections =
		stored && changed.length ? describeChanges(await readSections(t, stored, changed), inv, changed) : [];
	const change: PendingInventoryChange | null =
		stored && sections.length
			? { at: opts.at.toISOString(), sections, summary: summarise(sections), seq: opts.seq ?? null }
			: null;
	await writeInventory(
		t,
		{
			key: host.key,
			source: host.source,
			name: host.name,
			deviceId: host.deviceId,
			at: opts.at,
			changed,
			sections: inv,
			hashes: Object.fromEntries(changed.map((s) => [s, hashes[s]])),
			fullRequested: opts.fullRequested,
			queue: queued.length ? { sections: queued, change, dueInSeconds: opts.dueInSeconds } : undefined
		},
		stored
	);
	return { sectionsChanged: changed, queued, change };
}
