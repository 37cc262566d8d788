// Section hashes, computed exactly as the agent does (agent/src/modules/inventory/report.ts): SHA-256 of the
// section's canonical JSON after the protocol's schema has filled in its defaults.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/protocol/tasks';
import {
	INVENTORY_SECTIONS,
	type InventorySection,
	type InventorySections
} from '../../lib/protocol/inventory';

export type SectionHashes = Partial<Record<InventorySection, string>>;

export function sectionHash(value: unknown): string {
	return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Hashes of the sections present in `inv`. */
export function hashSections(inv: InventorySections): SectionHashes {
	const out: SectionHashes = {};
	for (const s of INVENTORY_SECTIONS) if (inv[s] !== undefined) out[s] = sectionHash(inv[s]);
	return out;
}

/** The sections present in `inv`, in protocol order. */
export function presentSections(inv: InventorySections): InventorySection[] {
	return INVENTORY_SECTIONS.filter((s) => inv[s] !== undefined);
}
