// An inventory as CMDB records: the host's Device CI (matched by agentId: the agent id or 'ocs:<DEVICEID>',
// never the host name or a MAC address) with its Memory, Storage, NetworkAdapter and installed SoftwareProduct
// CIs. Only the sections asked for are mapped, so a delta touches only what it changed. Values are checked
// against the current model first: an attribute an operator removed or retyped is left out, not an error
// that would lose the whole report.
import { checkValue } from '../../lib/cmdb/values';
import type { Inventory, InventorySection, InventorySections } from '../../lib/protocol/inventory';
import type { ChildSpec, DiscoveredChild, DiscoveredRecord, ReconcileSpec } from '../cmdb/reconcile';
import type { AttrDef, Model } from '../cmdb/model';

type Data = Record<string, unknown>;

/**
 * How inventory lands in the default model. Memory and disks that disappear are flagged missing (a physical
 * part went somewhere: worth seeing); network adapters are deleted (virtual ones come and go); a software
 * product is shared by every host that has it, so a host that no longer has it is only unrelated.
 */
export const DEVICE_CLASS = 'Device';
export const DEVICE_KEY = 'agentId';
export const CHILD_SPECS: (ChildSpec & { section: InventorySection })[] = [
	{ section: 'memory', domain: 'ItemMemory', class: 'Memory', identify: ['slot'], missing: 'flag' },
	{ section: 'storage', domain: 'ItemStorage', class: 'Storage', identify: ['devicePath'], missing: 'flag' },
	{
		section: 'network',
		domain: 'ItemNetworkAdapters',
		class: 'NetworkAdapter',
		identify: ['interfaceName'],
		missing: 'delete'
	},
	// One product per name and vendor; the version each host has is on the relation (installedVersion), so an
	// upgrade changes one relation instead of making a new product.
	{
		section: 'software',
		domain: 'SoftwareInstallations',
		class: 'SoftwareProduct',
		identify: ['name', 'vendor'],
		missing: 'delete'
	}
];

/** "Debian OpenSSL Team <pkg-openssl@…>" → "Debian OpenSSL Team" (OCS sends the address too). */
export function vendorName(v: string | null | undefined): string | null {
	const s = (v ?? '')
		.replace(/<[^>]*>/g, '')
		.replace(/\s+/g, ' ')
		.trim();
	return s ? s.slice(0, 256) : null;
}

const GiB = 1024;
function size(mb: number | null): string {
	if (mb === null) return '';
	return mb >= GiB ? `${Math.round((mb / GiB) * 10) / 10} GiB` : `${mb} MiB`;
}

/** The IPv4 address operators reach the host by: the one on the adapter with the default gateway. */
export function managementIp(network: Inventory['network']): string | null {
	const withGateway = network.find((n) => n.gateway && n.ipv4.length);
	const any = network.find((n) => n.ipv4.length);
	return (withGateway ?? any)?.ipv4[0] ?? null;
}

function deviceData(inv: InventorySections, want: Set<InventorySection>): Data {
	const d: Data = {};
	if (want.has('system') && inv.system) {
		d.hostname = inv.system.hostname;
		d.manufacturer = inv.system.manufacturer;
		d.model = inv.system.model;
		d.serialNumber = inv.system.serial;
	}
	if (want.has('os') && inv.os) {
		d.os = inv.os.name;
		d.osVersion =
			[inv.os.version, inv.os.codename && `(${inv.os.codename})`].filter(Boolean).join(' ') || null;
	}
	// A section that could not be read (null) is unknown: the CI keeps what it had.
	if (want.has('cpu') && inv.cpu) {
		d.cpu = inv.cpu.count > 1 ? `${inv.cpu.count} × ${inv.cpu.model}` : inv.cpu.model;
		d.cpuCores = inv.cpu.cores || null;
	}
	if (want.has('memory') && inv.memory) d.ramMb = inv.memory.totalMb;
	if (want.has('network') && inv.network?.length) d.managementIp = managementIp(inv.network);
	return d;
}

function memoryChildren(m: NonNullable<Inventory['memory']>): DiscoveredChild[] {
	return m.slots.map((s) => ({
		name: `${s.slot}${s.capacityMb ? ` (${[size(s.capacityMb), s.type].filter(Boolean).join(' ')})` : ''}`,
		data: {
			slot: s.slot,
			capacityMb: s.capacityMb,
			memoryType: s.type,
			speedMhz: s.speedMhz,
			manufacturer: s.manufacturer,
			serialNumber: s.serial,
			model: s.caption
		}
	}));
}

function storageChildren(list: Inventory['storage']): DiscoveredChild[] {
	return list.map((d) => ({
		name: d.model ? `${d.model} (${d.device})` : d.device,
		data: {
			devicePath: d.device,
			capacityGb: d.sizeBytes === null ? null : Math.round(d.sizeBytes / 1e8) / 10,
			storageType: d.type,
			interface: d.interface,
			manufacturer: d.vendor,
			model: d.model,
			serialNumber: d.serial
		}
	}));
}

function networkChildren(list: Inventory['network']): DiscoveredChild[] {
	return list.map((n) => ({
		name: n.description ? `${n.name} (${n.description})` : n.name,
		data: {
			interfaceName: n.name,
			macAddress: n.mac,
			ipAddress: n.ipv4[0] ?? n.ipv6[0] ?? null,
			speedMbps: n.speedMbps,
			model: n.description
		}
	}));
}

/**
 * Installed software, one child per product (name + vendor). A package installed in several versions at once
 * (kernels under rpm) is one product with its versions listed on the relation.
 */
function softwareChildren(list: Inventory['software']): DiscoveredChild[] {
	const byProduct = new Map<
		string,
		{ name: string; vendor: string | null; versions: Set<string>; date: string | null }
	>();
	for (const s of list) {
		const vendor = vendorName(s.publisher);
		const k = JSON.stringify([s.name, vendor]);
		const p = byProduct.get(k) ?? { name: s.name, vendor, versions: new Set<string>(), date: null };
		if (s.version) p.versions.add(s.version);
		if (s.installDate && (!p.date || s.installDate > p.date)) p.date = s.installDate;
		byProduct.set(k, p);
	}
	return [...byProduct.values()].map((p) => ({
		name: p.name,
		data: { vendor: p.vendor },
		relationData: {
			installedVersion: [...p.versions].join(', ').slice(0, 2000) || null,
			installDate: p.date?.slice(0, 10) ?? null
		}
	}));
}

/** Keeps the values the model accepts, in its canonical form; unknown attributes and bad values are dropped. */
function fit(attrs: AttrDef[], data: Data | undefined): Data | undefined {
	if (!data) return data;
	const out: Data = {};
	for (const [k, v] of Object.entries(data)) {
		const a = attrs.find((x) => x.name.toLowerCase() === k.toLowerCase());
		if (!a) continue;
		const c = checkValue(a, v);
		if (c.ok) out[a.name] = c.value;
	}
	return out;
}

/** Children whose identify values repeat (two modules reported in one slot): later ones get "#2", "#3". */
function distinct(list: DiscoveredChild[], attr: string): DiscoveredChild[] {
	const seen = new Map<string, number>();
	const out: DiscoveredChild[] = [];
	for (const c of list) {
		const v = c.data?.[attr];
		if (v === null || v === undefined || v === '') continue;
		const n = (seen.get(String(v)) ?? 0) + 1;
		seen.set(String(v), n);
		out.push(n === 1 ? c : { ...c, data: { ...c.data, [attr]: `${v} #${n}` } });
	}
	return out;
}

export interface MappedInventory {
	spec: ReconcileSpec;
	record: DiscoveredRecord;
}

/**
 * The reconciliation spec and record for one host's inventory, limited to `want` sections. Null when the
 * model has no Device class with an agentId attribute (nothing to reconcile into).
 */
export function mapInventory(
	m: Model,
	host: { key: string; name: string },
	inv: InventorySections,
	want: Set<InventorySection>
): MappedInventory | null {
	const device = m.findClass(DEVICE_CLASS);
	if (!device || !m.attr(device, DEVICE_KEY)) return null;
	const children: ChildSpec[] = [];
	const lists: Record<string, DiscoveredChild[]> = {};
	for (const cs of CHILD_SPECS) {
		if (!want.has(cs.section)) continue;
		const domain = m.findDomain(cs.domain);
		const cls = m.findClass(cs.class);
		if (!domain || !cls || cs.identify.some((a) => a !== 'name' && !m.attr(cls, a))) continue;
		let list: DiscoveredChild[] = [];
		if (cs.section === 'memory' && inv.memory) list = memoryChildren(inv.memory);
		if (cs.section === 'storage' && inv.storage) list = storageChildren(inv.storage);
		if (cs.section === 'network' && inv.network) list = networkChildren(inv.network);
		if (cs.section === 'software' && inv.software) list = softwareChildren(inv.software);
		// An empty list is what a probe that failed gives: leave the host's CIs as they are rather than
		// removing every disk or package. (A host really left with none keeps its last ones.)
		if (!list.length) continue;
		list = list.map((c) => ({
			name: c.name.slice(0, 300),
			data: fit(cls.attributes, c.data),
			...(c.relationData ? { relationData: fit(domain.attributes, c.relationData) } : {})
		}));
		if (cs.identify[0] !== 'name') list = distinct(list, cs.identify[0]);
		children.push({ domain: cs.domain, class: cs.class, identify: cs.identify, missing: cs.missing });
		lists[cs.domain] = list;
	}
	return {
		spec: { class: DEVICE_CLASS, key: DEVICE_KEY, missing: 'ignore', children },
		record: {
			key: host.key,
			name: host.name.slice(0, 300),
			data: fit(device.attributes, deviceData(inv, want)),
			children: lists
		}
	};
}
