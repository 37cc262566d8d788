// What virtual agents' machines are made of: real product names, so the CMDB looks like a real fleet.

export const OSES = [
	{
		distro: { id: 'debian', publisher: 'Debian' },
		name: 'Debian GNU/Linux',
		version: '12',
		codename: 'bookworm',
		kernel: '6.1.0-28-amd64'
	},
	{
		distro: { id: 'debian', publisher: 'Debian' },
		name: 'Debian GNU/Linux',
		version: '12',
		codename: 'bookworm',
		kernel: '6.1.0-31-amd64'
	},
	{
		distro: { id: 'ubuntu', publisher: 'Ubuntu' },
		name: 'Ubuntu',
		version: '24.04',
		codename: 'noble',
		kernel: '6.8.0-51-generic'
	},
	{
		distro: { id: 'ubuntu', publisher: 'Ubuntu' },
		name: 'Ubuntu',
		version: '22.04',
		codename: 'jammy',
		kernel: '5.15.0-130-generic'
	},
	{
		distro: { id: 'rhel', publisher: 'Red Hat, Inc.' },
		name: 'Red Hat Enterprise Linux',
		version: '9.5',
		codename: 'Plow',
		kernel: '5.14.0-503.15.1.el9_5.x86_64'
	},
	{
		distro: { id: 'rocky', publisher: 'Rocky Enterprise Software Foundation' },
		name: 'Rocky Linux',
		version: '9.4',
		codename: 'Blue Onyx',
		kernel: '5.14.0-427.13.1.el9_4.x86_64'
	}
] as const;

export const VENDORS = [
	{ vendor: 'Dell Inc.', models: ['PowerEdge R640', 'PowerEdge R650', 'PowerEdge R750'], bios: '2.19.1' },
	{ vendor: 'HPE', models: ['ProLiant DL360 Gen10', 'ProLiant DL380 Gen10 Plus'], bios: 'U32 v2.90' },
	{ vendor: 'Lenovo', models: ['ThinkSystem SR630 V2', 'ThinkSystem SR650'], bios: 'AFE128K-3.20' },
	{ vendor: 'Supermicro', models: ['SYS-1029P-WTR', 'SYS-2029U-TR4'], bios: '3.4' }
] as const;

export const CPUS = [
	{ manufacturer: 'Intel', model: 'Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz', mhz: 2100, cores: 16 },
	{ manufacturer: 'Intel', model: 'Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz', mhz: 2400, cores: 12 },
	{ manufacturer: 'Intel', model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', mhz: 2000, cores: 32 },
	{ manufacturer: 'AMD', model: 'AMD EPYC 7443P 24-Core Processor', mhz: 2850, cores: 24 },
	{ manufacturer: 'AMD', model: 'AMD EPYC 7763 64-Core Processor', mhz: 2450, cores: 64 }
] as const;

export const DISKS = [
	{ model: 'SAMSUNG MZ7LH960HAJR', vendor: 'Samsung', type: 'SSD', iface: 'SATA', size: 960 },
	{ model: 'INTEL SSDPE2KX040T8', vendor: 'Intel', type: 'NVMe', iface: 'PCIe', size: 4000 },
	{ model: 'ST4000NM0035-1V4107', vendor: 'Seagate', type: 'HDD', iface: 'SATA', size: 4000 },
	{ model: 'MZQL21T9HCJR-00A07', vendor: 'Samsung', type: 'NVMe', iface: 'PCIe', size: 1920 }
] as const;

export const NICS = [
	'Intel Corporation Ethernet Controller X710 for 10GbE SFP+',
	'Broadcom Inc. NetXtreme BCM5720 Gigabit Ethernet PCIe',
	'Mellanox Technologies MT27710 Family [ConnectX-4 Lx]',
	'Intel Corporation I350 Gigabit Network Connection'
];
