// The list sections of an OCS inventory: disks, network adapters, installed software.
import { INVENTORY_LIMITS, type InventoryInput } from '../../../lib/protocol/inventory';
import type { OcsRecord } from './xml';
import { int, s } from './fields';

type Disk = InventoryInput['storage'] extends (infer T)[] | undefined ? T : never;
type Adapter = NonNullable<InventoryInput['network']>[number];
type Software = NonNullable<InventoryInput['software']>[number];

/** Optical drives and RAM-backed block devices are not storage a CMDB tracks. */
const NOT_STORAGE = /^(zram|ram|loop|sr|fd)\d*$/;

function diskType(d: OcsRecord): Disk['type'] {
	const text = `${d.TYPE ?? ''} ${d.DESCRIPTION ?? ''} ${d.MODEL ?? ''}`.toLowerCase();
	if ((d.NAME ?? '').startsWith('nvme') || text.includes('nvme')) return 'NVMe';
	if (text.includes('usb')) return 'USB';
	if (/\bssd\b|solid state/.test(text)) return 'SSD';
	if (/\b(san|fibre|fc|iscsi|multipath)\b/.test(text)) return 'SAN';
	if (/\bhdd\b|hard disk|rotational/.test(text)) return 'HDD';
	return 'other';
}

export function mapStorage(list: OcsRecord[]): Disk[] {
	const out: Disk[] = [];
	const seen = new Set<string>();
	for (const d of list) {
		const name = s(d.NAME);
		if (!name || NOT_STORAGE.test(name) || /cd|dvd|rom|bd/i.test(d.TYPE ?? '')) continue;
		// The Unix agent names disks as lsblk does ("sda"); Fleetdesk's agent reports the device path.
		const device = /^[A-Za-z][\w.-]*$/.test(name) ? `/dev/${name}` : name;
		if (seen.has(device)) continue;
		seen.add(device);
		const mb = Number(d.DISKSIZE);
		out.push({
			device,
			model: s(d.MODEL),
			vendor: s(d.MANUFACTURER),
			type: diskType(d),
			interface: s(d.DESCRIPTION, 40),
			sizeBytes: Number.isFinite(mb) && mb > 0 ? Math.round(mb * 1e6) : null,
			serial: s(d.SERIALNUMBER)
		});
	}
	return out;
}

/** "1000 Mbps", "1 Gb/s", "100 Mb/s" → Mbit/s; "-1 Mbps" (unknown) → null. */
function speedMbps(v: string | undefined): number | null {
	const m = /^\s*(-?\d+(?:\.\d+)?)\s*([kmg])?/i.exec(v ?? '');
	if (!m || Number(m[1]) < 0) return null;
	const factor = { k: 0.001, m: 1, g: 1000 }[(m[2] ?? 'm').toLowerCase() as 'k' | 'm' | 'g'];
	return Math.round(Number(m[1]) * factor);
}

/** The Unix agent sends one <NETWORKS> per address; Fleetdesk keeps one adapter with all its addresses. */
export function mapNetworks(list: OcsRecord[]): Adapter[] {
	const byName = new Map<string, Adapter & { ipv4: string[]; ipv6: string[] }>();
	for (const n of list) {
		const name = s(n.DESCRIPTION);
		if (!name) continue;
		let a = byName.get(name);
		if (!a) {
			if (byName.size >= INVENTORY_LIMITS.network) continue;
			const mac = s(n.MACADDR, 40)?.toLowerCase() ?? null;
			const virtual = n.VIRTUALDEV === '1' ? true : n.VIRTUALDEV === '0' ? false : null;
			a = {
				name,
				description: s(n.DRIVER) ?? s(n.TYPE),
				mac: mac && !/^(00:){5}00$/.test(mac) ? mac : null,
				ipv4: [],
				ipv6: [],
				mask: null,
				gateway: null,
				dhcp: null,
				speedMbps: speedMbps(n.SPEED),
				virtual
			};
			byName.set(name, a);
		}
		const ip = s(n.IPADDRESS, 64);
		if (ip && ip.includes(':')) {
			if (!a.ipv6.includes(ip) && a.ipv6.length < 256) a.ipv6.push(ip);
		} else if (ip && !a.ipv4.includes(ip) && a.ipv4.length < 256) {
			if (!a.ipv4.length) {
				a.mask = s(n.IPMASK, 64);
				a.gateway = s(n.IPGATEWAY, 64);
			}
			a.ipv4.push(ip);
		}
		if (s(n.IPDHCP)) a.dhcp = true;
	}
	return [...byName.values()];
}

/** "2025/04/20 00:00:00", "2025-04-20" or "20250420" → "2025-04-20"; anything else is left out. */
function isoDate(v: string | undefined): string | null {
	const m = /^(\d{4})[/-]?(\d{2})[/-]?(\d{2})/.exec(v?.trim() ?? '');
	if (!m || m[2] === '00' || m[3] === '00') return null;
	return `${m[1]}-${m[2]}-${m[3]}`;
}

export function mapSoftware(list: OcsRecord[]): Software[] {
	// dpkg's multiarch names ("zlib1g:amd64") lose the suffix, as `dpkg-query -f '${Package}'` prints them,
	// unless two architectures of one package are installed.
	const base = (x: OcsRecord) => {
		const name = x.NAME ?? '';
		return x.ARCHITECTURE && name.endsWith(`:${x.ARCHITECTURE}`)
			? name.slice(0, -x.ARCHITECTURE.length - 1)
			: name;
	};
	const counts = new Map<string, number>();
	for (const x of list) counts.set(base(x), (counts.get(base(x)) ?? 0) + 1);
	const out: Software[] = [];
	const seen = new Set<string>();
	for (const x of list) {
		const raw = s(x.NAME);
		if (!raw) continue;
		const name = (counts.get(base(x)) === 1 ? base(x) : raw).slice(0, 256);
		const version = s(x.VERSION, 128);
		const key = `${name}\u0000${version ?? ''}`;
		if (seen.has(key)) continue;
		seen.add(key);
		const bytes = int(x.FILESIZE);
		out.push({
			name,
			publisher: s(x.PUBLISHER),
			version,
			installDate: isoDate(x.INSTALLDATE),
			sizeKb: bytes === null ? null : Math.round(bytes / 1024)
		});
		if (out.length >= INVENTORY_LIMITS.software) break;
	}
	return out;
}
