// What one inventory report carries: every section's hash, and the sections whose hash changed since the last
// report the server took (all of them for a full report). Large JSON goes gzip-compressed; the link refuses
// messages over 1 MB, so a report is kept well under that.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { canonicalJson } from '../../../../src/lib/protocol/tasks';
import {
	INVENTORY_SECTIONS,
	type Inventory,
	type InventoryReport,
	type InventorySection
} from '../../../../src/lib/protocol/inventory';

export type SectionHashes = Record<InventorySection, string>;

/** SHA-256 (hex) of a section's canonical JSON; the server computes the same to check a delta's base. */
export function sectionHash(value: unknown): string {
	return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function sectionHashes(inv: Inventory): SectionHashes {
	const out = {} as SectionHashes;
	for (const s of INVENTORY_SECTIONS) out[s] = sectionHash(inv[s]);
	return out;
}

/** Sections' JSON past this size is sent gzip-compressed. */
export const GZIP_ABOVE_BYTES = 32 * 1024;
/** The largest report body this module sends (the link's limit is 1 MB for the whole message). */
export const MAX_REPORT_BYTES = 900_000;

export type ReportKindSent = 'full' | 'delta' | 'unchanged';

export interface PlannedReport {
	body: InventoryReport;
	sent: ReportKindSent;
	sections: InventorySection[];
	hashes: SectionHashes;
	/** Size of the report body as JSON. */
	bytes: number;
}

/**
 * Plans the report for `inv`. `previous` is the hashes the server last took from us, or null (nothing sent
 * since start, the last report was lost, or the server asked for a full one): then every section goes.
 * An unchanged inventory is still reported (no sections, only hashes): the server records when it last heard
 * and checks that its copy is still ours.
 */
export function planReport(
	inv: Inventory,
	previous: SectionHashes | null,
	meta: { trigger: InventoryReport['trigger']; taskId?: string }
): PlannedReport {
	const hashes = sectionHashes(inv);
	const full = previous === null;
	const sections = INVENTORY_SECTIONS.filter((s) => full || previous[s] !== hashes[s]);
	const part: Partial<Inventory> = {};
	for (const s of sections) (part as Record<string, unknown>)[s] = inv[s];
	const json = JSON.stringify(part);
	const payload: Pick<InventoryReport, 'sections' | 'gz'> =
		Buffer.byteLength(json) > GZIP_ABOVE_BYTES
			? { gz: gzipSync(json, { level: 6 }).toString('base64') }
			: { sections: part };
	const body: InventoryReport = {
		full,
		hashes,
		...payload,
		trigger: meta.trigger,
		...(meta.taskId ? { taskId: meta.taskId } : {})
	};
	return {
		body,
		sent: full ? 'full' : sections.length ? 'delta' : 'unchanged',
		sections,
		hashes,
		bytes: Buffer.byteLength(JSON.stringify(body))
	};
}

/**
 * A report that would not fit the link (tens of thousands of packages): the software list is cut until it
 * does, and the agent logs it. The hashes then describe what was really sent, so deltas stay consistent.
 */
export function planWithinLimit(
	inv: Inventory,
	previous: SectionHashes | null,
	meta: { trigger: InventoryReport['trigger']; taskId?: string },
	maxBytes = MAX_REPORT_BYTES
): { plan: PlannedReport; inventory: Inventory; cutSoftware: number } {
	let cur = inv;
	let plan = planReport(cur, previous, meta);
	while (plan.bytes > maxBytes && cur.software.length > 0) {
		cur = { ...cur, software: cur.software.slice(0, Math.floor(cur.software.length / 2)) };
		// Cutting changes the software hash, so the cut list is what the server must hold: send it whole.
		plan = planReport(cur, previous, meta);
	}
	return { plan, inventory: cur, cutSoftware: inv.software.length - cur.software.length };
}
