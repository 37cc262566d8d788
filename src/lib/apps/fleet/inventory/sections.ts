// The inventory's sections as the Inventory tab groups them.
import type { Inventory } from '$protocol/inventory';

export const INVENTORY_TABS = [
	{ id: 'system', label: 'System' },
	{ id: 'cpu', label: 'CPU' },
	{ id: 'memory', label: 'Memory' },
	{ id: 'storage', label: 'Storage' },
	{ id: 'partitions', label: 'Partitions' },
	{ id: 'network', label: 'Network' },
	{ id: 'software', label: 'Software' },
	{ id: 'peripherals', label: 'Video & USB' }
] as const;
export type InventoryTabId = (typeof INVENTORY_TABS)[number]['id'];

/** An inventory as stored: any section may be missing (never reported, or an OCS agent that lacks it). */
export type StoredInventory = { [K in keyof Inventory]?: Inventory[K] | null };

/** How many items a tab holds, for its label ("Software 1,204"); null when it is not a list. */
export function tabCount(inv: StoredInventory, tab: InventoryTabId): number | null {
	switch (tab) {
		case 'memory':
			return inv.memory?.slots.length ?? null;
		case 'storage':
		case 'partitions':
		case 'network':
		case 'software':
			return inv[tab]?.length ?? 0;
		case 'peripherals':
			return (
				(inv.video?.length ?? 0) +
				(inv.displays?.length ?? 0) +
				(inv.printers?.length ?? 0) +
				(inv.usb?.length ?? 0)
			);
		default:
			return null;
	}
}

/** Software whose name, publisher or version contains every word of `q`. */
export function filterSoftware(items: Inventory['software'], q: string): Inventory['software'] {
	const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
	if (!words.length) return items;
	return items.filter((s) => {
		const text = `${s.name} ${s.publisher ?? ''} ${s.version ?? ''}`.toLowerCase();
		return words.every((w) => text.includes(w));
	});
}
