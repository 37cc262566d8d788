// What changed between two copies of a host's inventory, counted the way an operator reads it: "software:
// 3 added, 1 removed, 2 changed". Items are matched by what identifies them in their section (a package by
// name and publisher, a disk by device); a matched item whose other values differ is "changed".
import { canonicalJson } from '../../lib/protocol/tasks';
import type { Inventory, InventorySection, InventorySections } from '../../lib/protocol/inventory';
import type { InventoryChange } from '../db/schema';

type Item = Record<string, unknown>;

const ITEM_KEY: Partial<Record<InventorySection, (i: Item) => string>> = {
	storage: (i) => String(i.device),
	partitions: (i) => `${i.device} ${i.mount ?? ''}`,
	network: (i) => String(i.name),
	software: (i) => `${i.name} ${i.publisher ?? ''}`,
	video: (i) => `${i.vendor ?? ''} ${i.model ?? ''}`,
	displays: (i) => `${i.vendor ?? ''} ${i.model ?? ''} ${i.serial ?? ''}`,
	printers: (i) => String(i.name),
	usb: (i) => `${i.name} ${i.vendor ?? ''} ${i.serial ?? ''}`
};

export type SectionChange = InventoryChange['sections'][number];

function compareLists(
	section: InventorySection,
	before: Item[],
	after: Item[],
	key: (i: Item) => string
): SectionChange {
	const group = (list: Item[]) => {
		const m = new Map<string, string[]>();
		for (const i of list) m.set(key(i), [...(m.get(key(i)) ?? []), canonicalJson(i)]);
		return m;
	};
	const a = group(before);
	const b = group(after);
	let added = 0;
	let removed = 0;
	let changed = 0;
	for (const [k, olds] of a) {
		const news = b.get(k) ?? [];
		const same = olds.filter((o) => news.includes(o)).length;
		const paired = Math.min(olds.length, news.length);
		changed += paired - Math.min(same, paired);
		removed += Math.max(0, olds.length - news.length);
	}
	for (const [k, news] of b) added += Math.max(0, news.length - (a.get(k)?.length ?? 0));
	return { section, added, removed, changed };
}

/** Per changed section: items added, removed and changed. `sections` are the ones whose hash differs. */
export function describeChanges(
	before: InventorySections,
	after: InventorySections,
	sections: InventorySection[]
): SectionChange[] {
	const out: SectionChange[] = [];
	for (const s of sections) {
		const key = ITEM_KEY[s];
		const b = before[s];
		const a = after[s];
		if (key && Array.isArray(a)) {
			out.push(compareLists(s, Array.isArray(b) ? (b as Item[]) : [], a as Item[], key));
		} else if (s === 'memory') {
			const mb = before.memory as Inventory['memory'] | undefined;
			const ma = after.memory as Inventory['memory'] | undefined;
			const slots = compareLists(s, mb?.slots ?? [], ma?.slots ?? [], (i) => String(i.slot));
			if ((mb?.totalMb ?? null) !== (ma?.totalMb ?? null) || (mb?.swapMb ?? null) !== (ma?.swapMb ?? null))
				slots.changed++;
			out.push(slots);
		} else
			out.push({
				section: s,
				added: b == null && a != null ? 1 : 0,
				removed: b != null && a == null ? 1 : 0,
				changed: b != null && a != null ? 1 : 0
			});
	}
	return out.filter((c) => c.added || c.removed || c.changed);
}

/** "software: 3 added, 1 removed; os: changed" */
export function summarise(changes: SectionChange[]): string {
	return changes
		.map((c) => {
			const parts = [
				c.added && `${c.added} added`,
				c.removed && `${c.removed} removed`,
				c.changed && (ITEM_KEY[c.section] || c.section === 'memory' ? `${c.changed} changed` : 'changed')
			].filter(Boolean);
			return `${c.section}: ${parts.join(', ')}`;
		})
		.join('; ');
}
