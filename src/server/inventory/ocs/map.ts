// An OCS INVENTORY's CONTENT → Fleetdesk's normalised Inventory (src/lib/protocol/inventory.ts). Units follow
// the OCS agents: HARDWARE MEMORY/SWAP and MEMORIES CAPACITY in MiB, STORAGES DISKSIZE in decimal MB,
// DRIVES TOTAL/FREE in MiB, SOFTWARES FILESIZE in bytes, VIDEOS MEMORY in MiB.
import {
	INVENTORY_LIMITS,
	inventorySchema,
	type Inventory,
	type InventoryInput
} from '../../../lib/protocol/inventory';
import { OcsRefused } from './errors';
import type { OcsContent } from './request';
import type { OcsRecord } from './xml';
import { mapNetworks, mapSoftware, mapStorage } from './map-lists';
import { int, s } from './fields';

const one = (c: OcsContent, name: string): OcsRecord => c.get(name)?.[0] ?? {};
const many = (c: OcsContent, name: string, max: number): OcsRecord[] => (c.get(name) ?? []).slice(0, max);

/** Lists in a fixed order, so the same machine gives the same section hashes whatever order the agent used. */
function sortBy<T>(list: T[], key: (x: T) => string): T[] {
	return list
		.map((x) => [key(x), x] as const)
		.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
		.map(([, x]) => x);
}

/** OCS names the OS in words; Fleetdesk uses Node's platform names. */
export function platformOf(osName: string): string {
	const n = osName.toLowerCase();
	if (n.includes('windows')) return 'win32';
	if (/mac ?os|darwin|os x/.test(n)) return 'darwin';
	if (n.includes('freebsd')) return 'freebsd';
	if (n.includes('openbsd')) return 'openbsd';
	if (n.includes('netbsd')) return 'netbsd';
	if (/solaris|sunos/.test(n)) return 'sunos';
	if (n.includes('aix')) return 'aix';
	if (n.includes('android')) return 'android';
	return 'linux';
}

function mapOs(c: OcsContent): InventoryInput['os'] {
	const hw = one(c, 'HARDWARE');
	const osName = hw.OSNAME ?? 'unknown';
	const version = s(hw.OSVERSION, 256);
	// The Unix agent's OSNAME is "<NAME> <VERSION_ID>" from os-release; keep the name on its own.
	const name = version && osName.endsWith(` ${version}`) ? osName.slice(0, -version.length - 1) : osName;
	const cpuArch = c.get('CPUS')?.[0]?.CPUARCH;
	// HARDWARE DESCRIPTION is "<arch>/<uptime>" on the Unix agent.
	const arch = cpuArch ?? hw.ARCH ?? /^([\w-]+)\//.exec(hw.DESCRIPTION ?? '')?.[1];
	return {
		platform: platformOf(osName),
		name: name.slice(0, 256) || 'unknown',
		version,
		codename: s(/\(([^)]+)\)\s*$/.exec(hw.OSCOMMENTS ?? '')?.[1]),
		kernel: null,
		arch: s(arch, 40)
	};
}

function mapCpu(c: OcsContent): InventoryInput['cpu'] {
	const cpus = many(c, 'CPUS', 1024);
	const hw = one(c, 'HARDWARE');
	if (!cpus.length && !hw.PROCESSORT) return null;
	// One <CPUS> per socket; CORES is per socket, LOGICAL_CPUS (or THREADS) the socket's hardware threads.
	const cores = cpus.reduce((n, x) => n + (int(x.CORES) || 1), 0);
	const threads = cpus.reduce((n, x) => n + (int(x.LOGICAL_CPUS) || int(x.THREADS) || int(x.CORES) || 1), 0);
	return {
		manufacturer: s(cpus[0]?.MANUFACTURER),
		model: (s(cpus[0]?.TYPE) ?? s(hw.PROCESSORT) ?? 'unknown').slice(0, 256),
		// The nominal speed; CURRENT_SPEED moves with power management and would make every report a change.
		speedMhz: int(cpus[0]?.SPEED) || int(hw.PROCESSORS) || null,
		count: Math.min(cpus.length || int(hw.PROCESSORN) || 1, 1024),
		cores: Math.min(cores || int(hw.PROCESSORN) || 1, 65_536),
		threads: Math.min(threads || cores || 1, 65_536)
	};
}

function mapMemory(c: OcsContent): InventoryInput['memory'] {
	const hw = one(c, 'HARDWARE');
	const slots: NonNullable<InventoryInput['memory']>['slots'] = [];
	const seen = new Set<string>();
	for (const m of many(c, 'MEMORIES', 1024)) {
		const capacityMb = int(m.CAPACITY);
		// OCS lists empty sockets too; a Memory CI is a module, so they are left out.
		if (!capacityMb) continue;
		let slot = s(m.CAPTION) ?? `slot ${m.NUMSLOTS ?? slots.length}`;
		if (seen.has(slot)) slot = `${slot} #${m.NUMSLOTS ?? slots.length}`.slice(0, 256);
		seen.add(slot);
		const serial = s(m.SERIALNUMBER);
		slots.push({
			slot,
			caption: s(m.DESCRIPTION),
			capacityMb,
			type: s(m.TYPE, 40),
			speedMhz: int(m.SPEED),
			manufacturer: s(m.MANUFACTURER),
			serial: serial && !/^(0+|unknown|not specified|none)$/i.test(serial) ? serial : null
		});
	}
	const totalMb = int(hw.MEMORY) ?? slots.reduce((n, x) => n + (x.capacityMb ?? 0), 0);
	return { totalMb, swapMb: int(hw.SWAP), slots };
}

function mapPartitions(c: OcsContent): NonNullable<InventoryInput['partitions']> {
	return many(c, 'DRIVES', INVENTORY_LIMITS.partitions).flatMap((d) => {
		const mount = d.LETTER ?? (d.TYPE?.startsWith('/') ? d.TYPE : undefined);
		const device = s(d.VOLUMN) ?? s(d.LETTER) ?? s(mount);
		if (!device) return [];
		const total = int(d.TOTAL);
		return [
			{
				device,
				mount: s(mount, 1024),
				fsType: s(d.FILESYSTEM, 40),
				sizeBytes: total === null ? null : total * 1024 * 1024,
				// FREE belongs to resource history: kept here, every report would be a configuration change.
				usedBytes: null
			}
		];
	});
}

function mapPeripherals(c: OcsContent) {
	return {
		video: many(c, 'VIDEOS', INVENTORY_LIMITS.video).map((v) => ({
			vendor: null,
			model: s(v.NAME) ?? s(v.CHIPSET),
			vramMb: int(v.MEMORY)
		})),
		displays: many(c, 'MONITORS', INVENTORY_LIMITS.displays).map((m) => ({
			vendor: s(m.MANUFACTURER),
			model: s(m.CAPTION) ?? s(m.DESCRIPTION),
			serial: s(m.SERIAL),
			resolution: null,
			sizeInches: null
		})),
		printers: many(c, 'PRINTERS', INVENTORY_LIMITS.printers).flatMap((p) =>
			s(p.NAME) ? [{ name: s(p.NAME)!, driver: s(p.DRIVER), port: s(p.PORT), isDefault: null }] : []
		),
		usb: many(c, 'USBDEVICES', INVENTORY_LIMITS.usb).flatMap((u) => {
			const name = s(u.DESCRIPTION) ?? s(u.TYPE);
			return name ? [{ name, vendor: s(u.MANUFACTURER), type: s(u.TYPE, 64), serial: s(u.SERIAL) }] : [];
		})
	};
}

/** Maps the CONTENT of an OCS INVENTORY; the result has passed the shared inventory schema. */
export function mapOcsInventory(c: OcsContent): Inventory {
	const hw = one(c, 'HARDWARE');
	const bios = one(c, 'BIOS');
	const vm = hw.VMSYSTEM?.trim();
	const hasBios = !!(bios.BMANUFACTURER || bios.BVERSION || bios.BDATE);
	const hasBoard = !!(bios.MMANUFACTURER || bios.MMODEL || bios.MSN);
	const input: InventoryInput = {
		system: {
			hostname: (hw.NAME ?? '').trim().slice(0, 253),
			manufacturer: s(bios.SMANUFACTURER),
			model: s(bios.SMODEL),
			serial: s(bios.SSN),
			uuid: s(hw.UUID, 64),
			machineId: null,
			virtual: vm ? !/^physical$/i.test(vm) : null
		},
		bios: hasBios
			? {
					vendor: s(bios.BMANUFACTURER),
					version: s(bios.BVERSION),
					releaseDate: s(bios.BDATE, 32),
					serial: null
				}
			: null,
		baseboard: hasBoard
			? { manufacturer: s(bios.MMANUFACTURER), model: s(bios.MMODEL), version: null, serial: s(bios.MSN) }
			: null,
		os: mapOs(c),
		cpu: mapCpu(c),
		memory: mapMemory(c),
		storage: sortBy(mapStorage(many(c, 'STORAGES', INVENTORY_LIMITS.storage)), (d) => d.device),
		partitions: sortBy(mapPartitions(c), (p) => `${p.device}\u0000${p.mount ?? ''}`),
		network: sortBy(mapNetworks(many(c, 'NETWORKS', INVENTORY_LIMITS.network * 4)), (n) => n.name),
		software: sortBy(
			mapSoftware(many(c, 'SOFTWARES', INVENTORY_LIMITS.software * 2)),
			(x) => `${x.name}\u0000${x.version ?? ''}`
		),
		...mapPeripherals(c)
	};
	const parsed = inventorySchema.safeParse(input);
	if (!parsed.success) {
		const i = parsed.error.issues[0];
		throw new OcsRefused(
			400,
			`The inventory could not be read: ${i.path.join('.')} ${i.message}.`,
			'inventory does not fit'
		);
	}
	return parsed.data;
}
