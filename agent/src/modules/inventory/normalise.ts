// From what systeminformation and the package manager return to the protocol's Inventory shape. Pure, so it is
// tested with recorded probe output. Every list is sorted: the same machine must give the same JSON (and
// the same section hashes) on every run, whatever order the probes answered in.
import type { Systeminformation as SI } from 'systeminformation';
import type { NetworkInterfaceInfo } from 'node:os';
import { INVENTORY_LIMITS, STORAGE_TYPES, type Inventory } from '../../../../src/lib/protocol/inventory';

/** What the probes returned; a probe that failed or timed out is null. */
export interface RawProbes {
	hostname: string;
	platform: string;
	system: SI.SystemData | null;
	bios: SI.BiosData | null;
	baseboard: SI.BaseboardData | null;
	os: SI.OsData | null;
	uuid: SI.UuidData | null;
	cpu: SI.CpuData | null;
	mem: SI.MemData | null;
	memLayout: SI.MemLayoutData[] | null;
	diskLayout: SI.DiskLayoutData[] | null;
	blockDevices: SI.BlockDevicesData[] | null;
	fsSize: SI.FsSizeData[] | null;
	networkInterfaces: SI.NetworkInterfacesData[] | null;
	/** os.networkInterfaces(): every address (systeminformation gives one per family). */
	addresses: NodeJS.Dict<NetworkInterfaceInfo[]> | null;
	defaultGateway: string | null;
	graphics: SI.GraphicsData | null;
	printers: SI.PrinterData[] | null;
	usb: SI.UsbData[] | null;
	software: Inventory['software'] | null;
}

/** Placeholders firmware vendors leave in SMBIOS fields: as good as no value. */
const JUNK =
	/^(-+|n\/?a|none|null|unknown|not specified|not available|not applicable|default string|to be filled by o\.?e\.?m\.?|system (serial number|product name|manufacturer|version)|o\.?e\.?m\.?|0+|x+|123456789|0123456789|chassis serial number|base board serial number)$/i;

/** Trimmed, one line, at most `max` characters; null for empty and placeholder values. */
export function clean(v: unknown, max = 256): string | null {
	if (v === null || v === undefined) return null;
	const s = String(v)
		.replace(/[\r\n\t]+/g, ' ')
		// eslint-disable-next-line no-control-regex
		.replace(/[\u0000-\u001f\u007f]/g, '')
		.trim();
	if (!s || JUNK.test(s)) return null;
	return s.length > max ? s.slice(0, max) : s;
}

const int = (v: unknown): number | null =>
	typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null;
const MiB = 1024 * 1024;
const byName =
	<T>(key: (t: T) => string) =>
	(a: T, b: T) =>
		key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** "Debian OpenSSL Team <pkg-openssl@…>" → "Debian OpenSSL Team": the address is not the publisher. */
export function publisherName(v: unknown): string | null {
	const s = clean(v);
	if (!s) return null;
	return clean(s.replace(/<[^>]*>/g, '').replace(/\s+/g, ' '));
}

function system(r: RawProbes): Inventory['system'] {
	const s = r.system;
	return {
		hostname: clean(r.hostname || r.os?.hostname, 253) ?? 'unknown',
		manufacturer: clean(s?.manufacturer),
		model: clean(s?.model),
		serial: clean(s?.serial),
		uuid: clean(s?.uuid ?? r.uuid?.hardware, 64)?.toLowerCase() ?? null,
		machineId: clean(r.uuid?.os, 128),
		virtual: typeof s?.virtual === 'boolean' ? s.virtual : null
	};
}

function bios(r: RawProbes): Inventory['bios'] {
	const b = r.bios;
	if (!b) return null;
	const out = {
		vendor: clean(b.vendor),
		version: clean(b.version),
		releaseDate: clean(b.releaseDate, 32),
		serial: clean(b.serial)
	};
	return Object.values(out).some((v) => v !== null) ? out : null;
}

function baseboard(r: RawProbes): Inventory['baseboard'] {
	const b = r.baseboard;
	if (!b) return null;
	const out = {
		manufacturer: clean(b.manufacturer),
		model: clean(b.model),
		version: clean(b.version),
		serial: clean(b.serial)
	};
	return Object.values(out).some((v) => v !== null) ? out : null;
}

function os(r: RawProbes): Inventory['os'] {
	const o = r.os;
	return {
		platform: clean(o?.platform || r.platform, 40) ?? 'unknown',
		name: clean(o?.distro) ?? clean(o?.platform || r.platform) ?? 'unknown',
		version: clean(o?.release),
		codename: clean(o?.codename),
		kernel: clean(o?.kernel),
		arch: clean(o?.arch, 40)
	};
}

function cpu(r: RawProbes): Inventory['cpu'] {
	const c = r.cpu;
	if (!c) return null;
	const manufacturer = clean(c.manufacturer);
	const brand = clean(c.brand);
	const model =
		brand && manufacturer && !brand.toLowerCase().startsWith(manufacturer.toLowerCase())
			? `${manufacturer} ${brand}`
			: (brand ?? manufacturer ?? 'unknown');
	// The nominal (or maximum) clock, to 100 MHz: the current one changes with load and would make every
	// inventory look changed.
	const ghz = c.speedMax > 0 ? c.speedMax : c.speed;
	return {
		manufacturer,
		model: model.slice(0, 256),
		speedMhz: ghz > 0 ? Math.round(ghz * 10) * 100 : null,
		count: Math.min(1024, int(c.processors) ?? 1),
		cores: Math.min(65_536, int(c.physicalCores) ?? int(c.cores) ?? 0),
		threads: Math.min(65_536, int(c.cores) ?? 0)
	};
}

function memory(r: RawProbes): Inventory['memory'] {
	if (!r.mem) return null;
	const slots = (r.memLayout ?? [])
		.filter((m) => m && m.size > 0)
		.map((m, i) => {
			const type = clean(m.type, 40);
			const capacityMb = Math.round(m.size / MiB);
			return {
				slot: clean(m.bank) ?? `BANK ${i}`,
				caption: clean([clean(m.formFactor, 40), type].filter(Boolean).join(' ')),
				capacityMb,
				type,
				speedMhz: int(m.clockSpeed) || null,
				manufacturer: clean(m.manufacturer),
				serial: clean(m.serialNum)
			};
		});
	// Two modules reported in the same bank (seen on some boards): keep them apart.
	const seen = new Map<string, number>();
	for (const s of slots) {
		const n = seen.get(s.slot) ?? 0;
		seen.set(s.slot, n + 1);
		if (n) s.slot = `${s.slot} #${n + 1}`.slice(0, 256);
	}
	return {
		totalMb: Math.round(r.mem.total / MiB),
		swapMb: int(r.mem.swaptotal / MiB),
		slots: slots.sort(byName((s) => s.slot)).slice(0, 1024)
	};
}

/** Block devices that are not disks in an inventory's sense: loop, RAM, zram, optical, device-mapper. */
const NOT_A_DISK = /^(loop|ram|zram|fd|sr|nbd|dm-|md)\d*/;

function storageType(
	physical: string | undefined,
	protocol: string | undefined,
	iface: string | undefined
): (typeof STORAGE_TYPES)[number] {
	const p = `${physical ?? ''} ${protocol ?? ''} ${iface ?? ''}`.toLowerCase();
	if (/usb/.test(p)) return 'USB';
	if (/nvme/.test(p)) return 'NVMe';
	if (/ssd/.test(p)) return 'SSD';
	if (/fc|iscsi|san/.test(p)) return 'SAN';
	if (/hd/.test(p)) return 'HDD';
	return 'other';
}

function storage(r: RawProbes): Inventory['storage'] {
	const layout = new Map((r.diskLayout ?? []).map((d) => [d.device, d]));
	const out: Inventory['storage'] = [];
	const seen = new Set<string>();
	for (const b of r.blockDevices ?? []) {
		if (b.type !== 'disk' || NOT_A_DISK.test(b.name) || !(b.size > 0)) continue;
		const device = clean(b.device || `/dev/${b.name}`);
		if (!device || seen.has(device)) continue;
		seen.add(device);
		const l = layout.get(device);
		out.push({
			device,
			model: clean(b.model) ?? clean(l?.name),
			vendor: clean(l?.vendor),
			type: storageType(l?.type ?? b.physical, b.protocol, l?.interfaceType),
			interface: clean(l?.interfaceType || b.protocol, 40),
			sizeBytes: b.size,
			serial: clean(b.serial) ?? clean(l?.serialNum)
		});
	}
	// Platforms where lsblk is missing: the disk layout alone.
	for (const l of r.diskLayout ?? []) {
		const device = clean(l.device);
		if (!device || seen.has(device) || !(l.size > 0)) continue;
		seen.add(device);
		out.push({
			device,
			model: clean(l.name),
			vendor: clean(l.vendor),
			type: storageType(l.type, undefined, l.interfaceType),
			interface: clean(l.interfaceType, 40),
			sizeBytes: l.size,
			serial: clean(l.serialNum)
		});
	}
	return out.sort(byName((d) => d.device)).slice(0, INVENTORY_LIMITS.storage);
}

/** Pseudo and virtual file systems are not partitions. */
const PSEUDO_FS =
	/^(tmpfs|devtmpfs|overlay|squashfs|proc|sysfs|cgroup2?|devpts|mqueue|debugfs|tracefs|fuse\..*)$/;

function partitions(r: RawProbes): Inventory['partitions'] {
	const fsByDevice = new Map((r.fsSize ?? []).map((f) => [f.fs, f]));
	const out = new Map<string, Inventory['partitions'][number]>();
	for (const b of r.blockDevices ?? []) {
		const isPart = b.type !== 'disk' && b.type !== 'rom' && b.type !== 'loop';
		if (!isPart && !b.mount && !b.fsType) continue;
		if (/^(loop|zram|ram)/.test(b.name)) continue;
		const device = clean(b.device || `/dev/${b.name}`);
		if (!device) continue;
		const fs = fsByDevice.get(device);
		out.set(`${device} ${b.mount ?? ''}`, {
			device,
			mount: clean(b.mount || fs?.mount, 1024),
			fsType: clean(b.fsType || fs?.type, 40),
			sizeBytes: b.size > 0 ? b.size : (fs?.size ?? null),
			// File system use belongs to resource history (metrics): here it would change every report.
			usedBytes: null
		});
	}
	for (const f of r.fsSize ?? []) {
		if (PSEUDO_FS.test(f.type)) continue;
		const device = clean(f.fs);
		if (!device || [...out.values()].some((p) => p.device === device && p.mount === f.mount)) continue;
		out.set(`${device} ${f.mount}`, {
			device,
			mount: clean(f.mount, 1024),
			fsType: clean(f.type, 40),
			sizeBytes: f.size > 0 ? f.size : null,
			usedBytes: null
		});
	}
	return [...out.values()]
		.sort(byName((p) => `${p.device}\u0000${p.mount ?? ''}`))
		.slice(0, INVENTORY_LIMITS.partitions);
}

/** Interfaces that come and go with containers and VMs: listing them would change the inventory all day. */
export const EPHEMERAL_INTERFACE = /^(veth|cali|vnet\d|tap|fwpr|fwln|fwbr|lxc[0-9a-f]{4,}|flannel|cni|tun\d)/;

function mac(v: unknown): string | null {
	const s = clean(v, 40)?.toLowerCase() ?? null;
	return s && !/^(00:){5}00$/.test(s) ? s : null;
}

function network(r: RawProbes): Inventory['network'] {
	const out: Inventory['network'] = [];
	for (const n of r.networkInterfaces ?? []) {
		if (!n || n.internal || EPHEMERAL_INTERFACE.test(n.iface)) continue;
		const name = clean(n.iface);
		if (!name) continue;
		const addrs = (r.addresses?.[n.iface] ?? []).filter((a) => !a.internal);
		const ipv4 = [...new Set(addrs.filter((a) => a.family === 'IPv4').map((a) => a.address))];
		if (!ipv4.length && n.ip4) ipv4.push(n.ip4);
		// Link-local addresses follow from the MAC; they add nothing and are left out.
		const ipv6 = [
			...new Set(addrs.filter((a) => a.family === 'IPv6' && !/^fe80:/i.test(a.address)).map((a) => a.address))
		];
		if (!ipv6.length && n.ip6 && !/^fe80:/i.test(n.ip6)) ipv6.push(n.ip6);
		const description = clean(n.ifaceName && n.ifaceName !== n.iface ? n.ifaceName : n.type);
		out.push({
			name,
			description,
			mac: mac(n.mac),
			ipv4: ipv4.sort().slice(0, 256),
			ipv6: ipv6.sort().slice(0, 256),
			mask: clean(n.ip4subnet, 64),
			gateway: n.default ? clean(r.defaultGateway, 64) : null,
			dhcp: typeof n.dhcp === 'boolean' ? n.dhcp : null,
			speedMbps: n.speed && n.speed > 0 ? Math.round(n.speed) : null,
			virtual: typeof n.virtual === 'boolean' ? n.virtual : null
		});
	}
	return out.sort(byName((n) => n.name)).slice(0, INVENTORY_LIMITS.network);
}

function video(r: RawProbes): Inventory['video'] {
	return (r.graphics?.controllers ?? [])
		.map((c) => ({ vendor: clean(c.vendor), model: clean(c.model), vramMb: int(c.vram) }))
		.filter((c) => c.vendor || c.model)
		.sort(byName((c) => `${c.vendor ?? ''} ${c.model ?? ''}`))
		.slice(0, INVENTORY_LIMITS.video);
}

function displays(r: RawProbes): Inventory['displays'] {
	return (r.graphics?.displays ?? [])
		.map((d) => {
			const x = d.currentResX || d.resolutionX;
			const y = d.currentResY || d.resolutionY;
			// EDID sizes are in centimetres.
			const diag = d.sizeX && d.sizeY ? Math.hypot(d.sizeX, d.sizeY) / 2.54 : null;
			return {
				vendor: clean(d.vendor),
				model: clean(d.model),
				serial: clean(d.serial),
				resolution: x && y ? `${x}x${y}` : null,
				sizeInches: diag ? Math.round(diag * 10) / 10 : null
			};
		})
		.filter((d) => d.vendor || d.model || d.resolution)
		.sort(byName((d) => `${d.vendor ?? ''} ${d.model ?? ''} ${d.serial ?? ''}`))
		.slice(0, INVENTORY_LIMITS.displays);
}

function printers(r: RawProbes): Inventory['printers'] {
	return (r.printers ?? [])
		.map((p) => ({
			name: clean(p.name) ?? '',
			driver: clean(p.model),
			port: clean(p.uri),
			isDefault: typeof p.default === 'boolean' ? p.default : null
		}))
		.filter((p) => p.name)
		.sort(byName((p) => p.name))
		.slice(0, INVENTORY_LIMITS.printers);
}

function usb(r: RawProbes): Inventory['usb'] {
	return (r.usb ?? [])
		.map((u) => ({
			name: clean(u.name) ?? '',
			vendor: clean(u.manufacturer) ?? clean(u.vendor),
			type: clean(u.type, 64),
			serial: clean(u.serialNumber)
		}))
		.filter((u) => u.name)
		.sort(byName((u) => `${u.name} ${u.vendor ?? ''} ${u.serial ?? ''}`))
		.slice(0, INVENTORY_LIMITS.usb);
}

/** Sorted by name, then version: one entry per installed package. */
export function sortSoftware(list: Inventory['software']): Inventory['software'] {
	return [...list]
		.sort(byName((s) => `${s.name}\u0000${s.version ?? ''}\u0000${s.publisher ?? ''}`))
		.slice(0, INVENTORY_LIMITS.software);
}

/** The normalised inventory. Never throws on odd probe output: a field it cannot read is null. */
export function buildInventory(r: RawProbes): Inventory {
	return {
		system: system(r),
		bios: bios(r),
		baseboard: baseboard(r),
		os: os(r),
		cpu: cpu(r),
		memory: memory(r),
		storage: storage(r),
		partitions: partitions(r),
		network: network(r),
		software: sortSoftware(r.software ?? []),
		video: video(r),
		displays: displays(r),
		printers: printers(r),
		usb: usb(r)
	};
}
