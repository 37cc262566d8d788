// A virtual agent's machine: hardware, OS and software, all derived from its host name, so each virtual
// agent differs from the others and stays the same across runs. Only disk usage and package versions move
// with time (see software.ts).
import type { AgentOs } from '../../../src/lib/protocol/agent';
import type { InventoryInput } from '../../../src/lib/protocol/inventory';
import { between, hash32, hex, pick, seeded } from './rng';
import { choosePackages, softwareItem, type Distro } from './software';
import { CPUS, DISKS, NICS, OSES, VENDORS } from './hardware';

const GiB = 1024 ** 3;

export interface Profile {
	index: number;
	hostname: string;
	os: AgentOs;
	distro: Distro;
	cores: number;
	threads: number;
	memMb: number;
	swapMb: number;
	/** Mounted filesystems, for `show filesystems` and the inventory's partitions. */
	filesystems: { device: string; mount: string; type: string; sizeBytes: number; baseUsed: number }[];
	packages: string[];
	/** Everything of the inventory that does not change over time. */
	fixed: Omit<InventoryInput, 'partitions' | 'software'>;
}

export function simHostname(prefix: string, index: number): string {
	return `${prefix}-${String(index).padStart(4, '0')}`;
}

export function makeProfile(prefix: string, index: number): Profile {
	const hostname = simHostname(prefix, index);
	const rng = seeded(hostname);
	const os = pick(rng, OSES);
	const hw = pick(rng, VENDORS);
	const model = pick(rng, hw.models);
	const cpu = pick(rng, CPUS);
	const sockets = cpu.cores >= 32 ? 1 : between(rng, 1, 2);
	const dimmGb = pick(rng, [16, 32, 64]);
	const dimms = pick(rng, [4, 8, 12, 16]);
	const ddr5 = cpu.model.includes('6338') || cpu.model.includes('7763');
	const serial = `${hw.vendor.slice(0, 2).toUpperCase()}${hex(hash32(hostname + '#sn'), 8).toUpperCase()}`;
	// Locally administered MACs (02:…), unique per host and adapter.
	const h = hash32(hostname + '#mac');
	const mac = (n: number) =>
		`02:fd:${hex((h >>> 16) & 255)}:${hex((index >> 8) & 255)}:${hex(index & 255)}:${hex(n)}`;
	const diskKind = pick(rng, DISKS);
	const diskCount = between(rng, 1, 4);
	const nvme = diskKind.type === 'NVMe';
	const dev = (i: number) => (nvme ? `/dev/nvme${i}n1` : `/dev/sd${'abcdefgh'[i]}`);
	const part = (i: number, p: number) => (nvme ? `${dev(i)}p${p}` : `${dev(i)}${p}`);
	const diskBytes = diskKind.size * 1e9;
	const nicCount = between(rng, 1, 4);
	const nicModel = pick(rng, NICS);
	const net = 10 + (index >> 16);
	const ip = `10.${net}.${(index >> 8) & 255}.${index & 255}`;

	const filesystems = [
		{
			device: part(0, 2),
			mount: '/',
			type: 'ext4',
			sizeBytes: Math.round(diskBytes * 0.3),
			baseUsed: 0.2 + rng() * 0.5
		},
		{ device: part(0, 1), mount: '/boot', type: 'ext4', sizeBytes: 1 * GiB, baseUsed: 0.1 + rng() * 0.3 },
		{
			device: part(0, 3),
			mount: '/var',
			type: 'xfs',
			sizeBytes: Math.round(diskBytes * 0.6),
			baseUsed: 0.1 + rng() * 0.7
		},
		...Array.from({ length: diskCount - 1 }, (_, i) => ({
			device: part(i + 1, 1),
			mount: `/srv/data${i + 1}`,
			type: 'xfs',
			sizeBytes: Math.round(diskBytes * 0.99),
			baseUsed: rng() * 0.9
		}))
	];
	const memMb = dimms * dimmGb * 1024;
	const swapMb = pick(rng, [0, 2048, 4096, 8192]);
	const threads = cpu.cores * sockets * 2;

	return {
		index,
		hostname,
		os: { platform: 'linux', release: os.kernel, arch: 'x64' },
		distro: os.distro as Distro,
		cores: cpu.cores * sockets,
		threads,
		memMb,
		swapMb,
		filesystems,
		packages: choosePackages(rng),
		fixed: {
			system: {
				hostname,
				manufacturer: hw.vendor,
				model,
				serial,
				uuid: uuidFrom(hostname),
				machineId:
					hex(hash32(hostname + '#m1'), 8) +
					hex(hash32(hostname + '#m2'), 8) +
					hex(hash32(hostname + '#m3'), 8) +
					hex(hash32(hostname + '#m4'), 8),
				virtual: false
			},
			bios: { vendor: hw.vendor, version: hw.bios, releaseDate: '2024-03-12', serial },
			baseboard: { manufacturer: hw.vendor, model: `${model} Board`, version: 'A01', serial: `BB${serial}` },
			os: {
				platform: 'linux',
				name: os.name,
				version: os.version,
				codename: os.codename,
				kernel: os.kernel,
				arch: 'x86_64'
			},
			cpu: {
				manufacturer: cpu.manufacturer,
				model: cpu.model,
				speedMhz: cpu.mhz,
				count: sockets,
				cores: cpu.cores * sockets,
				threads
			},
			memory: {
				totalMb: memMb,
				swapMb,
				slots: Array.from({ length: dimms }, (_, i) => ({
					slot: `DIMM_${'ABCDEFGH'[i % 8]}${1 + Math.floor(i / 8)}`,
					caption: `${dimmGb} GB ${ddr5 ? 'DDR5' : 'DDR4'}`,
					capacityMb: dimmGb * 1024,
					type: ddr5 ? 'DDR5' : 'DDR4',
					speedMhz: ddr5 ? 4800 : 3200,
					manufacturer: pick(rng, ['Samsung', 'Micron', 'SK Hynix']),
					serial: hex(hash32(`${hostname}#dimm${i}`), 8).toUpperCase()
				}))
			},
			storage: Array.from({ length: diskCount }, (_, i) => ({
				device: dev(i),
				model: diskKind.model,
				vendor: diskKind.vendor,
				type: diskKind.type,
				interface: diskKind.iface,
				sizeBytes: diskBytes,
				serial: `S${hex(hash32(`${hostname}#disk${i}`), 8).toUpperCase()}`
			})),
			network: Array.from({ length: nicCount }, (_, i) => ({
				name: `eno${i + 1}`,
				description: nicModel,
				mac: mac(i),
				ipv4: i === 0 ? [ip] : i === 1 ? [`192.168.${(index >> 8) & 255}.${index & 255}`] : [],
				ipv6: i === 0 ? [`fe80::fd:${hex(index & 0xffff, 4)}:${i}`] : [],
				mask: i <= 1 ? (i === 0 ? '255.255.0.0' : '255.255.255.0') : null,
				gateway: i === 0 ? `10.${net}.0.1` : null,
				dhcp: false,
				speedMbps: nicModel.includes('10GbE') || nicModel.includes('ConnectX') ? 10_000 : 1000,
				virtual: false
			})),
			video: [
				{
					vendor: 'Matrox Electronics Systems Ltd.',
					model: 'Integrated Matrox G200eW3 Graphics Controller',
					vramMb: 16
				}
			],
			displays: [],
			printers: [],
			usb: [{ name: 'Virtual Keyboard and Mouse', vendor: hw.vendor, type: 'HID', serial: null }]
		}
	};
}

function uuidFrom(s: string): string {
	const x = [1, 2, 3, 4].map((k) => hex(hash32(`${s}#uuid${k}`), 8)).join('');
	return `${x.slice(0, 8)}-${x.slice(8, 12)}-4${x.slice(13, 16)}-a${x.slice(17, 20)}-${x.slice(20, 32)}`;
}

const DAY = 24 * 3600_000;

/** Used share of a filesystem at `now`: drifts a little each day, never past 98%. */
export function usedShare(hostname: string, fs: Profile['filesystems'][number], now: number): number {
	const day = Math.floor(now / DAY);
	const wobble = ((hash32(`${hostname}${fs.mount}#${day}`) % 1000) / 1000 - 0.5) * 0.04;
	const growth = ((day % 60) / 60) * 0.05;
	return Math.min(0.98, Math.max(0.01, fs.baseUsed + growth + wobble));
}

/** The whole inventory at `now` (in the input form; the protocol's schema fills the defaults). */
export function inventoryAt(p: Profile, now: number): InventoryInput {
	const GB = 1024 ** 3;
	return {
		...p.fixed,
		partitions: p.filesystems.map((f) => ({
			device: f.device,
			mount: f.mount,
			fsType: f.type,
			sizeBytes: f.sizeBytes,
			// whole GiB: usage reported to the byte would make every inventory a change
			usedBytes: Math.round((f.sizeBytes * usedShare(p.hostname, f, now)) / GB) * GB
		})),
		software: p.packages.map((name) => softwareItem(p.distro, p.hostname, name, now))
	};
}
