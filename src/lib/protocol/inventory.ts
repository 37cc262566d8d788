import { z } from 'zod';

/**
 * Hardware and software inventory: one normalised shape, whoever collected it (the Fleetdesk agent, through
 * systeminformation and the package manager, or a real OCS Inventory agent's XML). The server reconciles it
 * into the host's Device CI and its Memory, Storage, NetworkAdapter and SoftwareProduct CIs.
 *
 * Sizes are integers in the unit their name says (Mb = MiB, Bytes = bytes). Strings are bounded so a broken or
 * hostile collector cannot make the server hold arbitrary amounts of text; the arrays are bounded for the same
 * reason. Shared by server, agent and browser: zod only.
 */

const str = (max = 256) => z.string().max(max);
const optStr = (max = 256) => str(max).nullable().default(null);
const optInt = z.number().int().nonnegative().nullable().default(null);
const optNum = z.number().nonnegative().nullable().default(null);

export const INVENTORY_SECTIONS = [
	'system',
	'bios',
	'baseboard',
	'os',
	'cpu',
	'memory',
	'storage',
	'partitions',
	'network',
	'software',
	'video',
	'displays',
	'printers',
	'usb'
] as const;
export type InventorySection = (typeof INVENTORY_SECTIONS)[number];

export const inventorySystemSchema = z.strictObject({
	hostname: str(253),
	manufacturer: optStr(),
	model: optStr(),
	serial: optStr(),
	/** SMBIOS system UUID. */
	uuid: optStr(64),
	/** /etc/machine-id or the platform's equivalent. */
	machineId: optStr(128),
	virtual: z.boolean().nullable().default(null)
});

export const inventoryBiosSchema = z.strictObject({
	vendor: optStr(),
	version: optStr(),
	releaseDate: optStr(32),
	serial: optStr()
});

export const inventoryBaseboardSchema = z.strictObject({
	manufacturer: optStr(),
	model: optStr(),
	version: optStr(),
	serial: optStr()
});

export const inventoryOsSchema = z.strictObject({
	/** linux, win32, darwin, freebsd … */
	platform: str(40),
	/** Distribution or product name, e.g. "Debian GNU/Linux". */
	name: str(),
	version: optStr(),
	codename: optStr(),
	kernel: optStr(),
	arch: optStr(40)
});

export const inventoryCpuSchema = z.strictObject({
	manufacturer: optStr(),
	/** The processor type, e.g. "Intel(R) Xeon(R) Gold 6130". */
	model: str(),
	speedMhz: optInt,
	/** Physical processors (sockets). */
	count: z.number().int().min(0).max(1024),
	/** Physical cores over all sockets. */
	cores: z.number().int().min(0).max(65_536),
	/** Logical processors (hardware threads). */
	threads: z.number().int().min(0).max(65_536)
});

export const inventoryMemorySlotSchema = z.strictObject({
	/** Slot or bank label, e.g. "DIMM_A1"; it identifies the module within its host. */
	slot: str(),
	caption: optStr(),
	capacityMb: optInt,
	type: optStr(40),
	speedMhz: optInt,
	manufacturer: optStr(),
	serial: optStr()
});

export const inventoryMemorySchema = z.strictObject({
	totalMb: z.number().int().nonnegative(),
	swapMb: optInt,
	slots: z.array(inventoryMemorySlotSchema).max(1024).default([])
});

export const STORAGE_TYPES = ['HDD', 'SSD', 'NVMe', 'SAN', 'USB', 'other'] as const;

export const inventoryDiskSchema = z.strictObject({
	/** Device path or name, e.g. "/dev/sda"; it identifies the disk within its host. */
	device: str(),
	model: optStr(),
	vendor: optStr(),
	type: z.enum(STORAGE_TYPES).default('other'),
	interface: optStr(40),
	sizeBytes: optNum,
	serial: optStr()
});

export const inventoryPartitionSchema = z.strictObject({
	device: str(),
	mount: optStr(1024),
	fsType: optStr(40),
	sizeBytes: optNum,
	usedBytes: optNum
});

export const inventoryNetworkSchema = z.strictObject({
	/** Interface name, e.g. "eth0"; it identifies the adapter within its host. */
	name: str(),
	description: optStr(),
	mac: optStr(40),
	ipv4: z.array(str(64)).max(256).default([]),
	ipv6: z.array(str(64)).max(256).default([]),
	/** Netmask of the first IPv4 address. */
	mask: optStr(64),
	gateway: optStr(64),
	dhcp: z.boolean().nullable().default(null),
	speedMbps: optInt,
	virtual: z.boolean().nullable().default(null)
});

export const inventorySoftwareSchema = z.strictObject({
	name: str(),
	publisher: optStr(),
	version: optStr(128),
	/** ISO date when the package manager knows it. */
	installDate: optStr(32),
	sizeKb: optInt
});

export const inventoryVideoSchema = z.strictObject({
	vendor: optStr(),
	model: optStr(),
	vramMb: optInt
});

export const inventoryDisplaySchema = z.strictObject({
	vendor: optStr(),
	model: optStr(),
	serial: optStr(),
	resolution: optStr(40),
	sizeInches: optNum
});

export const inventoryPrinterSchema = z.strictObject({
	name: str(),
	driver: optStr(),
	port: optStr(),
	isDefault: z.boolean().nullable().default(null)
});

export const inventoryUsbSchema = z.strictObject({
	name: str(),
	vendor: optStr(),
	type: optStr(64),
	serial: optStr()
});

/** Per-list upper bounds: a host with more than this is not plausible, or not useful to keep item by item. */
export const INVENTORY_LIMITS = {
	storage: 4096,
	partitions: 8192,
	network: 4096,
	software: 50_000,
	video: 64,
	displays: 64,
	printers: 1024,
	usb: 1024
} as const;

/** Each section's schema, without defaults: a delta must not grow the sections it left out. */
const SECTION_SCHEMAS = {
	system: inventorySystemSchema,
	bios: inventoryBiosSchema.nullable(),
	baseboard: inventoryBaseboardSchema.nullable(),
	os: inventoryOsSchema,
	cpu: inventoryCpuSchema.nullable(),
	memory: inventoryMemorySchema.nullable(),
	storage: z.array(inventoryDiskSchema).max(INVENTORY_LIMITS.storage),
	partitions: z.array(inventoryPartitionSchema).max(INVENTORY_LIMITS.partitions),
	network: z.array(inventoryNetworkSchema).max(INVENTORY_LIMITS.network),
	software: z.array(inventorySoftwareSchema).max(INVENTORY_LIMITS.software),
	video: z.array(inventoryVideoSchema).max(INVENTORY_LIMITS.video),
	displays: z.array(inventoryDisplaySchema).max(INVENTORY_LIMITS.displays),
	printers: z.array(inventoryPrinterSchema).max(INVENTORY_LIMITS.printers),
	usb: z.array(inventoryUsbSchema).max(INVENTORY_LIMITS.usb)
} as const satisfies Record<InventorySection, z.ZodType>;

/** A whole inventory. system and os are required; a section a collector could not read is null or []. */
export const inventorySchema = z.strictObject({
	system: SECTION_SCHEMAS.system,
	bios: SECTION_SCHEMAS.bios.default(null),
	baseboard: SECTION_SCHEMAS.baseboard.default(null),
	os: SECTION_SCHEMAS.os,
	cpu: SECTION_SCHEMAS.cpu.default(null),
	memory: SECTION_SCHEMAS.memory.default(null),
	storage: SECTION_SCHEMAS.storage.default([]),
	partitions: SECTION_SCHEMAS.partitions.default([]),
	network: SECTION_SCHEMAS.network.default([]),
	software: SECTION_SCHEMAS.software.default([]),
	video: SECTION_SCHEMAS.video.default([]),
	displays: SECTION_SCHEMAS.displays.default([]),
	printers: SECTION_SCHEMAS.printers.default([]),
	usb: SECTION_SCHEMAS.usb.default([])
});
export type Inventory = z.output<typeof inventorySchema>;
export type InventoryInput = z.input<typeof inventorySchema>;

/**
 * A part of an inventory: the sections that changed (a delta) or all of them (a full report). A section left
 * out stays out (no defaults), so a delta never looks like "no software any more".
 */
export const inventorySectionsSchema = z.strictObject({
	system: SECTION_SCHEMAS.system.optional(),
	bios: SECTION_SCHEMAS.bios.optional(),
	baseboard: SECTION_SCHEMAS.baseboard.optional(),
	os: SECTION_SCHEMAS.os.optional(),
	cpu: SECTION_SCHEMAS.cpu.optional(),
	memory: SECTION_SCHEMAS.memory.optional(),
	storage: SECTION_SCHEMAS.storage.optional(),
	partitions: SECTION_SCHEMAS.partitions.optional(),
	network: SECTION_SCHEMAS.network.optional(),
	software: SECTION_SCHEMAS.software.optional(),
	video: SECTION_SCHEMAS.video.optional(),
	displays: SECTION_SCHEMAS.displays.optional(),
	printers: SECTION_SCHEMAS.printers.optional(),
	usb: SECTION_SCHEMAS.usb.optional()
});
export type InventorySections = z.output<typeof inventorySectionsSchema>;

/** Deepest nesting a real inventory has is 4 (sections → list → item → ip list); anything past this is refused. */
export const MAX_INVENTORY_JSON_DEPTH = 8;

/** The largest decompressed inventory the server accepts; past it the report is refused (zip bomb). */
export const MAX_INVENTORY_JSON_BYTES = 32 * 1024 * 1024;

/**
 * The `inventory` report on the agent link. `hashes` (SHA-256 hex of each section's canonical JSON) covers
 * every section, so the server knows what the agent's whole inventory is even from a delta. The sections are
 * sent as `sections`, or gzip-compressed JSON in `gz` (base64) when large; exactly one of the two.
 */
export const inventoryReportSchema = z
	.strictObject({
		/** True when every section is included; false for a delta (only the sections whose hash changed). */
		full: z.boolean(),
		hashes: z.record(z.enum(INVENTORY_SECTIONS), z.string().regex(/^[0-9a-f]{64}$/)),
		sections: z.unknown().optional(),
		gz: z.string().max(1_400_000).optional(),
		/** Why it was sent: on schedule, on demand (task id), or at start-up. */
		trigger: z.enum(['schedule', 'task', 'startup']).default('schedule'),
		taskId: z.string().max(128).optional()
	})
	.refine((r) => (r.sections === undefined) !== (r.gz === undefined), {
		message: 'an inventory report carries either sections or gz'
	});
export type InventoryReport = z.output<typeof inventoryReportSchema>;
