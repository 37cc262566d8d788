import { trpc } from '$lib/trpc';
import type { StoredInventory } from './sections';

export interface DeviceInventory {
	inventory: StoredInventory;
	receivedAt: string;
	changedAt: string;
	source: 'agent' | 'ocs';
	/** Set while the server waits for a full inventory it asked for (what it holds may be incomplete). */
	fullRequestedAt: string | null;
	/** One line on what the last change was, e.g. "software: 3 added". */
	lastChange: string | null;
	/** Sections not yet in the CMDB, and the last error taking them in (retried with backoff). */
	cmdb: { pending: string[]; attempts: number; error: string | null };
}

/** The latest inventory of a device, or null when none has arrived yet. */
export async function loadInventory(deviceId: number): Promise<DeviceInventory | null> {
	const r = await trpc.inventory.get.query({ deviceId });
	if (!r) return null;
	const inventory: StoredInventory = {};
	for (const [k, v] of Object.entries(r.sections)) (inventory as Record<string, unknown>)[k] = v.value;
	return {
		inventory,
		receivedAt: r.receivedAt,
		changedAt: r.changedAt,
		source: r.source,
		fullRequestedAt: r.fullRequestedAt,
		lastChange: r.lastChange?.summary ?? null,
		cmdb: { pending: r.cmdb.pending, attempts: r.cmdb.attempts, error: r.cmdb.error }
	};
}
