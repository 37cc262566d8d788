// The stored inventory of each host (table `inventories`): read it, and write back only what changed, noting
// what waits for reconciliation.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inventories, type PendingInventoryChange } from '../db/schema';
import {
	INVENTORY_SECTIONS,
	type InventorySection,
	type InventorySections
} from '../../lib/protocol/inventory';
import type { SectionHashes } from './hash';
import { summarise } from './diff';

export type StoredInventory = typeof inventories.$inferSelect;

/** A host's row without its sections (they can be large): what every report needs first. */
export type InventoryMeta = Omit<StoredInventory, InventorySection>;

const META = {
	key: inventories.key,
	source: inventories.source,
	name: inventories.name,
	deviceId: inventories.deviceId,
	ciId: inventories.ciId,
	hashes: inventories.hashes,
	sectionChangedAt: inventories.sectionChangedAt,
	receivedAt: inventories.receivedAt,
	changedAt: inventories.changedAt,
	lastChange: inventories.lastChange,
	fullRequestedAt: inventories.fullRequestedAt,
	reconcileSections: inventories.reconcileSections,
	reconcileDueAt: inventories.reconcileDueAt,
	reconcileQueuedAt: inventories.reconcileQueuedAt,
	reconcileVersion: inventories.reconcileVersion,
	reconcileClaimedBy: inventories.reconcileClaimedBy,
	reconcileClaimedAt: inventories.reconcileClaimedAt,
	reconcileClaim: inventories.reconcileClaim,
	reconcileAttempts: inventories.reconcileAttempts,
	reconcileError: inventories.reconcileError,
	pendingChange: inventories.pendingChange
};

export async function readInventory(db: Db, key: string): Promise<StoredInventory | null> {
	const [row] = await db.select().from(inventories).where(eq(inventories.key, key));
	return row ?? null;
}

/**
 * `lock`: the row stays locked until the transaction ends, so that what is merged into it (sections waiting
 * for reconciliation, a change not yet told) cannot cross with the worker finishing the host.
 */
export async function readInventoryMeta(
	db: Db,
	key: string,
	opts: { lock?: boolean } = {}
): Promise<InventoryMeta | null> {
	const q = db.select(META).from(inventories).where(eq(inventories.key, key));
	const [row] = opts.lock ? await q.for('update') : await q;
	return row ?? null;
}

/** The stored values of some sections (a section never written is left out). */
export async function readSections(
	db: Db,
	meta: InventoryMeta | null,
	sections: InventorySection[]
): Promise<InventorySections> {
	const want = sections.filter((s) => meta && s in meta.hashes);
	if (!meta || !want.length) return {};
	const [row] = await db
		.select(Object.fromEntries(want.map((s) => [s, inventories[s]])))
		.from(inventories)
		.where(eq(inventories.key, meta.key));
	return (row ?? {}) as InventorySections;
}

/** The sections a stored row holds (a column that was never written is left out). */
export function storedSections(row: StoredInventory | null): InventorySections {
	const out: Record<string, unknown> = {};
	if (!row) return out;
	for (const s of INVENTORY_SECTIONS) if (s in row.hashes) out[s] = row[s];
	return out as InventorySections;
}

export interface InventoryWrite {
	key: string;
	source: 'agent' | 'ocs';
	name: string;
	deviceId: number | null;
	at: Date;
	/** The sections whose content changed (written), with the new values. */
	changed: InventorySection[];
	sections: InventorySections;
	hashes: SectionHashes;
	/** true: the server asked for a full inventory and waits for it; false: it arrived; undefined: as it was. */
	fullRequested?: boolean;
	/** Sections to reconcile (added to those already waiting), and the change to tell once they are. */
	queue?: { sections: InventorySection[]; change: PendingInventoryChange | null; dueInSeconds?: number };
}

/** Two changes waiting together, counted as one: per section, the items added, removed and changed summed. */
export function mergeChanges(
	a: PendingInventoryChange | null,
	b: PendingInventoryChange | null
): PendingInventoryChange | null {
	if (!a || !b) return a ?? b;
	const by = new Map(a.sections.map((c) => [c.section, { ...c }]));
	for (const c of b.sections) {
		const x = by.get(c.section);
		if (x) {
			x.added += c.added;
			x.removed += c.removed;
			x.changed += c.changed;
		} else by.set(c.section, { ...c });
	}
	const sections = INVENTORY_SECTIONS.filter((s) => by.has(s)).map((s) => by.get(s)!);
	return { at: b.at, sections, summary: summarise(sections), seq: b.seq ?? a.seq };
}

function queueColumns(w: InventoryWrite, stored: InventoryMeta | null): Record<string, unknown> {
	if (!w.queue?.sections.length) return {};
	const want = new Set([...(stored?.reconcileSections ?? []), ...w.queue.sections]);
	return {
		reconcileSections: INVENTORY_SECTIONS.filter((s) => want.has(s)),
		// The database's clock, the one the worker's claim compares with.
		reconcileDueAt: sql`now() + make_interval(secs => ${w.queue.dueInSeconds ?? 0})`,
		reconcileQueuedAt: stored?.reconcileQueuedAt ?? sql`now()`,
		reconcileVersion: (stored?.reconcileVersion ?? 0) + 1,
		pendingChange: mergeChanges(stored?.pendingChange ?? null, w.queue.change)
	};
}

/** One statement: insert the host's row, or update the changed sections and the times. */
export async function writeInventory(db: Db, w: InventoryWrite, stored: InventoryMeta | null): Promise<void> {
	const cols: Record<string, unknown> = {};
	for (const s of w.changed) cols[s] = w.sections[s] ?? null;
	const changedAt: Partial<Record<InventorySection, string>> = { ...(stored?.sectionChangedAt ?? {}) };
	for (const s of w.changed) changedAt[s] = w.at.toISOString();
	const common = {
		source: w.source,
		name: w.name,
		deviceId: w.deviceId,
		receivedAt: w.at,
		...(w.fullRequested === undefined ? {} : { fullRequestedAt: w.fullRequested ? w.at : null })
	};
	const queue = queueColumns(w, stored);
	if (!stored) {
		await db.insert(inventories).values({
			key: w.key,
			...common,
			...cols,
			...queue,
			hashes: w.hashes,
			sectionChangedAt: changedAt,
			changedAt: w.at
		});
		return;
	}
	await db
		.update(inventories)
		.set({
			...common,
			...cols,
			...(w.changed.length
				? {
						hashes: sql`${inventories.hashes} || ${JSON.stringify(w.hashes)}::jsonb`,
						sectionChangedAt: changedAt,
						changedAt: w.at
					}
				: {}),
			...queue
		})
		.where(eq(inventories.key, w.key));
}
