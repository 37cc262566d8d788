// Probe output as systeminformation returns it on a physical two-socket server with Docker (recorded shapes,
// values made up), and a valid inventory built by hand for the server-side tests.
import type { RawProbes } from '../../../agent/src/modules/inventory/normalise';
import { inventorySchema, type Inventory, type InventoryInput } from '../../../src/lib/protocol/inventory';

const nic = (over: Record<string, unknown>) => ({
	iface: 'eth0',
	ifaceName: 'eth0',
	default: false,
	ip4: '',
	ip4subnet: '',
	ip6: '',
	ip6subnet: '',
	mac: '',
	internal: false,
	virtual: false,
	operstate: 'up',
	type: 'wired',
	duplex: 'full',
	mtu: 1500,
	speed: 10000,
	dhcp: false,
	dnsSuffix: 'Unknown',
	ieee8021xAuth: 'Not defined',
	ieee8021xState: 'Disabled',
	carrierChanges: 0,
	...over
});

export function serverProbes(): RawProbes {
	return {
		hostname: 'db-01.example.com',
		platform: 'linux',
		system: {
			manufacturer: 'Dell Inc.',
			model: 'PowerEdge R740',
			version: '',
			serial: 'CZ1234567',
			uuid: '4C4C4544-0031-3210-8033-C3C04F333232',
			sku: 'SKU=NotProvided',
			virtual: false
		},
		bios: {
			vendor: 'Dell Inc.',
			version: '2.12.2',
			releaseDate: '2021-07-08',
			revision: '',
			serial: 'CZ1234567'
		},
		baseboard: {
			manufacturer: 'Dell Inc.',
			model: '0WGD1',
			version: 'A09',
			serial: '.CZ1234567.CNFCP00123.',
			assetTag: '',
			memMax: 1099511627776,
			memSlots: 24
		},
		os: {
			platform: 'linux',
			distro: 'Debian GNU/Linux',
			release: '12',
			codename: 'bookworm',
			kernel: '6.1.0-18-amd64',
			arch: 'x64',
			hostname: 'db-01',
			fqdn: 'db-01.example.com',
			codepage: 'UTF-8',
			logofile: 'debian',
			serial: 'ab12',
			build: '',
			servicepack: '',
			uefi: true
		},
		uuid: {
			os: '5f1e2d3c4b5a69788796a5b4c3d2e1f0',
			hardware: '4c4c4544-0031-3210-8033-c3c04f333232',
			macs: []
		},
		cpu: {
			manufacturer: 'Intel',
			brand: 'Xeon® Gold 6130',
			vendor: 'GenuineIntel',
			family: '6',
			model: '85',
			stepping: '4',
			revision: '',
			voltage: '',
			speed: 2.1,
			speedMin: 1,
			speedMax: 3.7,
			governor: 'performance',
			cores: 64,
			physicalCores: 32,
			processors: 2,
			socket: 'LGA3647',
			flags: '',
			virtualization: true,
			cache: { l1d: 0, l1i: 0, l2: 0, l3: 0 }
		},
		mem: {
			total: 64 * 1024 ** 3,
			free: 0,
			used: 0,
			active: 0,
			available: 0,
			buffcache: 0,
			buffers: 0,
			cached: 0,
			slab: 0,
			reclaimable: 0,
			swaptotal: 8 * 1024 ** 3,
			swapused: 0,
			swapfree: 0,
			writeback: 0,
			dirty: 0
		},
		memLayout: [
			// reported out of order, plus an empty slot
			{
				size: 32 * 1024 ** 3,
				bank: 'B1',
				type: 'DDR4',
				ecc: true,
				clockSpeed: 2666,
				formFactor: 'DIMM',
				manufacturer: 'Samsung',
				partNum: 'M393A4K40CB2-CTD',
				serialNum: '40A1B2C3',
				voltageConfigured: 1.2,
				voltageMin: 1.2,
				voltageMax: 1.2
			},
			{
				size: 32 * 1024 ** 3,
				bank: 'A1',
				type: 'DDR4',
				ecc: true,
				clockSpeed: 2666,
				formFactor: 'DIMM',
				manufacturer: 'Samsung',
				partNum: 'M393A4K40CB2-CTD',
				serialNum: '40A1B2C4',
				voltageConfigured: 1.2,
				voltageMin: 1.2,
				voltageMax: 1.2
			},
			{
				size: 0,
				bank: 'A2',
				type: 'Empty',
				ecc: null,
				clockSpeed: 0,
				formFactor: '',
				manufacturer: '',
				partNum: '',
				serialNum: '',
				voltageConfigured: null,
				voltageMin: null,
				voltageMax: null
			}
		],
		diskLayout: [
			{
				device: '/dev/nvme0n1',
				type: 'NVMe',
				name: 'Dell Express Flash PM1725b 1.6TB',
				vendor: 'Samsung',
				size: 1_600_321_314_816,
				bytesPerSector: 512,
				totalCylinders: 0,
				totalHeads: 0,
				totalSectors: 0,
				totalTracks: 0,
				tracksPerCylinder: 0,
				sectorsPerTrack: 0,
				firmwareRevision: '1.0',
				serialNum: 'S4ABC123',
				interfaceType: 'PCIe',
				smartStatus: 'Ok',
				temperature: null
			}
		],
		blockDevices: [
			{
				name: 'sda',
				identifier: 'sda',
				type: 'disk',
				fsType: '',
				mount: '',
				size: 480_103_981_056,
				physical: 'SSD',
				uuid: '',
				label: '',
				model: 'SSDSC2KB480G8R',
				serial: 'PHYF0123',
				removable: false,
				protocol: 'sata',
				device: '/dev/sda'
			},
			{
				name: 'sda1',
				identifier: 'sda1',
				type: 'part',
				fsType: 'ext4',
				mount: '/',
				size: 479_000_000_000,
				physical: '',
				uuid: 'u1',
				label: '',
				model: '',
				serial: '',
				removable: false,
				protocol: '',
				device: '/dev/sda1'
			},
			{
				name: 'nvme0n1',
				identifier: 'nvme0n1',
				type: 'disk',
				fsType: 'xfs',
				mount: '/var/lib/postgresql',
				size: 1_600_321_314_816,
				physical: 'SSD',
				uuid: 'u2',
				label: '',
				model: 'Dell Express Flash PM1725b 1.6TB',
				serial: 'S4ABC123',
				removable: false,
				protocol: 'nvme',
				device: '/dev/nvme0n1'
			},
			{
				name: 'loop0',
				identifier: 'loop0',
				type: 'loop',
				fsType: 'squashfs',
				mount: '/snap/core/1',
				size: 100_000,
				physical: '',
				uuid: '',
				label: '',
				model: '',
				serial: '',
				removable: false,
				protocol: '',
				device: '/dev/loop0'
			},
			{
				name: 'zram0',
				identifier: 'zram0',
				type: 'disk',
				fsType: '',
				mount: '[SWAP]',
				size: 8_000_000_000,
				physical: 'SSD',
				uuid: '',
				label: '',
				model: '',
				serial: '',
				removable: false,
				protocol: '',
				device: '/dev/zram0'
			}
		],
		fsSize: [
			{
				fs: '/dev/sda1',
				type: 'ext4',
				size: 470_000_000_000,
				used: 123,
				available: 1,
				use: 1,
				mount: '/',
				rw: true
			},
			{
				fs: 'nas:/export',
				type: 'nfs4',
				size: 10_000_000_000_000,
				used: 5,
				available: 1,
				use: 1,
				mount: '/mnt/nas',
				rw: true
			},
			{ fs: 'tmpfs', type: 'tmpfs', size: 1000, used: 1, available: 1, use: 1, mount: '/run', rw: true }
		],
		networkInterfaces: [
			nic({
				iface: 'lo',
				ifaceName: 'lo',
				internal: true,
				ip4: '127.0.0.1',
				mac: '00:00:00:00:00:00',
				type: 'virtual'
			}),
			nic({
				iface: 'eno1',
				ifaceName: 'eno1',
				default: true,
				ip4: '10.0.0.21',
				ip4subnet: '255.255.255.0',
				ip6: 'fe80::1',
				mac: '24:6E:96:00:00:01',
				speed: 10000
			}),
			nic({
				iface: 'docker0',
				ifaceName: 'docker0',
				ip4: '172.17.0.1',
				ip4subnet: '255.255.0.0',
				mac: '02:42:ac:11:00:01',
				virtual: true,
				type: 'virtual',
				speed: -1
			}),
			nic({ iface: 'veth1a2b3c', ifaceName: 'veth1a2b3c', mac: '6a:00:00:00:00:01', virtual: true })
		] as RawProbes['networkInterfaces'],
		addresses: {
			eno1: [
				{
					address: '10.0.0.21',
					netmask: '255.255.255.0',
					family: 'IPv4',
					mac: '24:6e:96:00:00:01',
					internal: false,
					cidr: '10.0.0.21/24'
				},
				{
					address: '10.0.0.20',
					netmask: '255.255.255.0',
					family: 'IPv4',
					mac: '24:6e:96:00:00:01',
					internal: false,
					cidr: '10.0.0.20/24'
				},
				{
					address: 'fe80::1',
					netmask: 'ffff:ffff:ffff:ffff::',
					family: 'IPv6',
					mac: '24:6e:96:00:00:01',
					internal: false,
					cidr: 'fe80::1/64',
					scopeid: 2
				},
				{
					address: '2001:db8::21',
					netmask: 'ffff:ffff:ffff:ffff::',
					family: 'IPv6',
					mac: '24:6e:96:00:00:01',
					internal: false,
					cidr: '2001:db8::21/64',
					scopeid: 0
				}
			]
		},
		defaultGateway: '10.0.0.1',
		graphics: {
			controllers: [
				{
					vendor: 'Matrox Electronics Systems Ltd.',
					model: 'Integrated Matrox G200eW3',
					bus: 'Onboard',
					vram: 16,
					vramDynamic: false
				}
			],
			displays: []
		},
		printers: [],
		usb: [
			{
				id: 2,
				bus: 1,
				deviceId: 2,
				name: 'Virtual Keyboard',
				type: 'Keyboard',
				removable: false,
				vendor: 'iDRAC',
				manufacturer: 'Avocent',
				maxPower: '',
				serialNumber: ''
			},
			{
				id: 1,
				bus: 1,
				deviceId: 1,
				name: '2.0 root hub',
				type: 'Hub',
				removable: false,
				vendor: 'Linux Foundation',
				manufacturer: '',
				maxPower: '',
				serialNumber: '0000:00:14.0'
			}
		],
		software: [
			{
				name: 'postgresql-15',
				publisher: 'Debian PostgreSQL Maintainers',
				version: '15.6-0+deb12u1',
				installDate: '2024-02-10',
				sizeKb: 18000
			},
			{
				name: 'openssl',
				publisher: 'Debian OpenSSL Team',
				version: '3.0.11-1~deb12u2',
				installDate: '2024-01-05',
				sizeKb: 2300
			}
		]
	};
}

/** A small valid inventory, different per `n`, for the server side. */
export function sampleInventory(n = 1, over: Partial<InventoryInput> = {}): Inventory {
	return inventorySchema.parse({
		system: { hostname: `host-${n}`, manufacturer: 'QEMU', model: 'Standard PC', serial: `SN-${n}` },
		os: {
			platform: 'linux',
			name: 'Debian GNU/Linux',
			version: '12',
			codename: 'bookworm',
			kernel: '6.1.0',
			arch: 'x64'
		},
		cpu: { manufacturer: 'AMD', model: 'AMD EPYC 7763', speedMhz: 2400, count: 1, cores: 4, threads: 8 },
		memory: {
			totalMb: 16384,
			swapMb: 0,
			slots: [
				{ slot: 'DIMM 0', capacityMb: 8192, type: 'DDR4' },
				{ slot: 'DIMM 1', capacityMb: 8192, type: 'DDR4' }
			]
		},
		storage: [{ device: '/dev/vda', model: 'QEMU HARDDISK', type: 'HDD', sizeBytes: 107374182400 }],
		partitions: [{ device: '/dev/vda1', mount: '/', fsType: 'ext4', sizeBytes: 107000000000 }],
		network: [
			{
				name: 'eth0',
				description: 'wired',
				mac: `52:54:00:00:00:${String(n % 100).padStart(2, '0')}`,
				ipv4: [`10.1.0.${n % 250}`],
				mask: '255.255.255.0',
				gateway: '10.1.0.254',
				dhcp: true
			}
		],
		software: [
			{
				name: 'bash',
				publisher: 'Matthias Klose <doko@debian.org>',
				version: '5.2.15-2+b2',
				installDate: '2024-01-01',
				sizeKb: 7000
			},
			{
				name: 'curl',
				publisher: 'Alessandro Ghedini',
				version: '7.88.1-10+deb12u5',
				installDate: '2024-01-02'
			},
			{ name: 'nginx', publisher: 'Debian Nginx Maintainers', version: '1.22.1-9' }
		],
		...over
	});
}
