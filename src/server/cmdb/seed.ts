// The default CMDB model, created on first start. Every class and relation here is editable afterwards.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbClasses } from '../db/schema';
import { SYSTEM_ACTOR } from '../audit/audit';
import type { AttributeInput, ClassInput, DomainInput } from '../../lib/protocol/cmdb';
import { lockModel } from './model';
import { addAttribute } from './model-attributes';
import { createClass } from './model-classes';
import { createDomain } from './model-domains';

type Seed = ClassInput & { attributes?: AttributeInput[] };

const STATUS = ['in use', 'in stock', 'in repair', 'retired'];

const txt = (name: string, label: string, extra: Partial<AttributeInput> = {}): AttributeInput => ({
	name,
	label,
	type: 'text',
	...extra
});

export const DEFAULT_CLASSES: Seed[] = [
	{
		name: 'Location',
		label: 'Location',
		abstract: true,
		description: 'Where things are: buildings, floors, rooms and workspaces.',
		attributes: [
			txt('code', 'Code', { unique: true, displayOrder: 1 }),
			{ name: 'notes', label: 'Notes', type: 'longtext', displayOrder: 90 }
		]
	},
	{
		name: 'Building',
		parent: 'Location',
		attributes: [
			txt('address', 'Address', { displayOrder: 2 }),
			txt('city', 'City', { displayOrder: 3 }),
			txt('country', 'Country', { displayOrder: 4 })
		]
	},
	{
		name: 'Floor',
		parent: 'Location',
		attributes: [{ name: 'level', label: 'Level', type: 'integer', displayOrder: 2 }]
	},
	{
		name: 'Room',
		parent: 'Location',
		attributes: [
			{
				name: 'roomType',
				label: 'Room type',
				type: 'enum',
				enumValues: ['office', 'data centre', 'server room', 'storage', 'meeting', 'lab'],
				displayOrder: 2
			},
			{ name: 'capacity', label: 'Capacity', type: 'integer', displayOrder: 3 }
		]
	},
	{ name: 'Workspace', parent: 'Location', attributes: [txt('desk', 'Desk', { displayOrder: 2 })] },
	{
		name: 'Sector',
		description: 'A department or team of the organisation.',
		attributes: [
			txt('code', 'Code', { unique: true, displayOrder: 1 }),
			txt('costCentre', 'Cost centre', { displayOrder: 2 })
		]
	},
	{
		name: 'Employee',
		attributes: [
			txt('employeeNumber', 'Employee number', { unique: true, displayOrder: 1 }),
			txt('email', 'E-mail', { displayOrder: 2 }),
			txt('phone', 'Phone', { displayOrder: 3 }),
			txt('jobTitle', 'Job title', { displayOrder: 4 })
		]
	},
	{
		name: 'Item',
		abstract: true,
		description: 'Any physical asset.',
		attributes: [
			txt('assetTag', 'Asset tag', { unique: true, displayOrder: 1 }),
			txt('serialNumber', 'Serial number', { displayOrder: 2 }),
			txt('manufacturer', 'Manufacturer', { displayOrder: 3 }),
			txt('model', 'Model', { displayOrder: 4 }),
			{
				name: 'status',
				label: 'Status',
				type: 'enum',
				enumValues: STATUS,
				defaultValue: 'in use',
				displayOrder: 5
			},
			{ name: 'purchaseDate', label: 'Purchase date', type: 'date', displayOrder: 6 },
			{ name: 'warrantyEnd', label: 'Warranty end', type: 'date', displayOrder: 7 },
			{ name: 'notes', label: 'Notes', type: 'longtext', displayOrder: 90 }
		]
	},
	{
		name: 'Computer',
		parent: 'Item',
		attributes: [
			txt('hostname', 'Host name', { displayOrder: 10 }),
			txt('os', 'Operating system', { displayOrder: 11 }),
			txt('osVersion', 'OS version', { displayOrder: 12 }),
			txt('cpu', 'CPU', { displayOrder: 13 }),
			{ name: 'cpuCores', label: 'CPU cores', type: 'integer', displayOrder: 14 },
			{ name: 'ramMb', label: 'RAM (MB)', type: 'integer', displayOrder: 15 },
			{ name: 'ipAddress', label: 'IP address', type: 'ip', displayOrder: 16 },
			{ name: 'macAddress', label: 'MAC address', type: 'mac', displayOrder: 17 }
		]
	},
	{
		name: 'Device',
		parent: 'Item',
		description: 'Servers, switches, console servers, power units: the things Fleetdesk manages.',
		attributes: [
			{
				name: 'deviceType',
				label: 'Device type',
				type: 'enum',
				enumValues: [
					'server',
					'switch',
					'router',
					'firewall',
					'console server',
					'power unit',
					'storage array',
					'other'
				],
				defaultValue: 'server',
				displayOrder: 10
			},
			txt('hostname', 'Host name', { displayOrder: 11 }),
			{ name: 'managementIp', label: 'Management IP', type: 'ip', displayOrder: 12 },
			txt('os', 'Operating system', { displayOrder: 13 }),
			txt('osVersion', 'OS version', { displayOrder: 14 }),
			txt('cpu', 'CPU', { displayOrder: 15 }),
			{ name: 'cpuCores', label: 'CPU cores', type: 'integer', displayOrder: 16 },
			{ name: 'ramMb', label: 'RAM (MB)', type: 'integer', displayOrder: 17 },
			txt('rack', 'Rack position', { displayOrder: 18 }),
			txt('agentId', 'Agent id', {
				unique: true,
				displayOrder: 19,
				description: 'Set by the Fleetdesk agent; the inventory key.'
			})
		]
	},
	{
		name: 'Monitor',
		parent: 'Item',
		attributes: [
			{ name: 'sizeInches', label: 'Size (inches)', type: 'decimal', displayOrder: 10 },
			txt('resolution', 'Resolution', { displayOrder: 11 })
		]
	},
	{
		name: 'Memory',
		parent: 'Item',
		attributes: [
			{ name: 'capacityMb', label: 'Capacity (MB)', type: 'integer', displayOrder: 10 },
			txt('slot', 'Slot', { displayOrder: 11 }),
			txt('memoryType', 'Type', { displayOrder: 12 }),
			{ name: 'speedMhz', label: 'Speed (MHz)', type: 'integer', displayOrder: 13 }
		]
	},
	{
		name: 'Storage',
		parent: 'Item',
		attributes: [
			{ name: 'capacityGb', label: 'Capacity (GB)', type: 'decimal', displayOrder: 10 },
			{
				name: 'storageType',
				label: 'Type',
				type: 'enum',
				enumValues: ['HDD', 'SSD', 'NVMe', 'SAN', 'USB', 'other'],
				displayOrder: 11
			},
			txt('interface', 'Interface', { displayOrder: 12 }),
			txt('devicePath', 'Device path', { displayOrder: 13 })
		]
	},
	{
		name: 'NetworkAdapter',
		label: 'Network adapter',
		parent: 'Item',
		attributes: [
			{ name: 'macAddress', label: 'MAC address', type: 'mac', displayOrder: 10 },
			{ name: 'ipAddress', label: 'IP address', type: 'ip', displayOrder: 11 },
			{ name: 'speedMbps', label: 'Speed (Mbit/s)', type: 'integer', displayOrder: 12 },
			txt('interfaceName', 'Interface name', { displayOrder: 13 })
		]
	},
	{
		name: 'Printer',
		parent: 'Item',
		attributes: [
			{ name: 'ipAddress', label: 'IP address', type: 'ip', displayOrder: 10 },
			{ name: 'colour', label: 'Colour', type: 'boolean', displayOrder: 11 }
		]
	},
	{
		name: 'SoftwareProduct',
		label: 'Software product',
		attributes: [
			txt('vendor', 'Vendor', { displayOrder: 1 }),
			txt('productVersion', 'Version', { displayOrder: 2 }),
			{
				name: 'licence',
				label: 'Licence',
				type: 'enum',
				enumValues: ['commercial', 'open source', 'freeware', 'subscription'],
				displayOrder: 3
			}
		]
	},
	{
		name: 'Contract',
		attributes: [
			txt('contractNumber', 'Contract number', { unique: true, displayOrder: 1 }),
			txt('supplier', 'Supplier', { required: true, defaultValue: 'unknown', displayOrder: 2 }),
			{ name: 'startDate', label: 'Start date', type: 'date', displayOrder: 3 },
			{ name: 'endDate', label: 'End date', type: 'date', displayOrder: 4 },
			{ name: 'slaTarget', label: 'SLA target (%)', type: 'decimal', displayOrder: 5 },
			txt('responseTime', 'Response time', { displayOrder: 6 }),
			{ name: 'annualCost', label: 'Annual cost', type: 'decimal', displayOrder: 7 }
		]
	}
];

export const DEFAULT_DOMAINS: DomainInput[] = [
	{
		name: 'BuildingFloors',
		source: 'Building',
		target: 'Floor',
		cardinality: '1:N',
		forwardLabel: 'consists of',
		reverseLabel: 'is a floor of',
		containment: true
	},
	{
		name: 'FloorRooms',
		source: 'Floor',
		target: 'Room',
		cardinality: '1:N',
		forwardLabel: 'consists of',
		reverseLabel: 'is a room on',
		containment: true
	},
	{
		name: 'RoomWorkspaces',
		source: 'Room',
		target: 'Workspace',
		cardinality: '1:N',
		forwardLabel: 'is divided into',
		reverseLabel: 'is part of',
		containment: true
	},
	{
		name: 'SectorMembers',
		source: 'Sector',
		target: 'Employee',
		cardinality: '1:N',
		forwardLabel: 'has member',
		reverseLabel: 'belongs to',
		dependent: 'target'
	},
	{
		name: 'SectorManagers',
		source: 'Employee',
		target: 'Sector',
		cardinality: '1:N',
		forwardLabel: 'manages',
		reverseLabel: 'is managed by',
		dependent: 'target'
	},
	{
		name: 'WorkspaceUsers',
		source: 'Employee',
		target: 'Workspace',
		cardinality: 'N:N',
		forwardLabel: 'uses',
		reverseLabel: 'is used by'
	},
	{
		name: 'RoomItems',
		source: 'Room',
		target: 'Item',
		cardinality: '1:N',
		forwardLabel: 'contains',
		reverseLabel: 'is in',
		containment: true
	},
	{
		name: 'WorkspaceItems',
		source: 'Workspace',
		target: 'Item',
		cardinality: '1:N',
		forwardLabel: 'contains',
		reverseLabel: 'is at',
		containment: true
	},
	{
		name: 'ComputerMonitors',
		source: 'Computer',
		target: 'Monitor',
		cardinality: '1:N',
		forwardLabel: 'has monitor',
		reverseLabel: 'is attached to'
	},
	{
		name: 'ItemMemory',
		source: 'Item',
		target: 'Memory',
		cardinality: '1:N',
		forwardLabel: 'has memory',
		reverseLabel: 'is installed in',
		description: 'Computers and devices have memory modules.'
	},
	{
		name: 'ItemStorage',
		source: 'Item',
		target: 'Storage',
		cardinality: '1:N',
		forwardLabel: 'has storage',
		reverseLabel: 'is installed in'
	},
	{
		name: 'ItemNetworkAdapters',
		source: 'Item',
		target: 'NetworkAdapter',
		cardinality: '1:N',
		forwardLabel: 'has network adapter',
		reverseLabel: 'is installed in'
	},
	{
		name: 'SoftwareInstallations',
		source: 'SoftwareProduct',
		target: 'Item',
		cardinality: 'N:N',
		forwardLabel: 'is installed on',
		reverseLabel: 'has installed'
	},
	{
		name: 'ContractCoverage',
		source: 'Contract',
		target: 'Item',
		cardinality: 'N:N',
		forwardLabel: 'covers',
		reverseLabel: 'is covered by'
	}
];

/** Relation attributes of the default domains. */
const DOMAIN_ATTRIBUTES: Record<string, AttributeInput[]> = {
	SoftwareInstallations: [
		{ name: 'installedVersion', label: 'Installed version', type: 'text', displayOrder: 1 },
		{ name: 'installDate', label: 'Install date', type: 'date', displayOrder: 2 }
	]
};

/** Creates the default model when the CMDB has no classes yet. */
export async function seedCmdb(db: Db): Promise<void> {
	const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(cmdbClasses);
	if (n > 0) return;
	await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		// Two app nodes starting together: the second waits here, then finds the model in place.
		await lockModel(t);
		const [{ n: again }] = await t.select({ n: sql<number>`count(*)::int` }).from(cmdbClasses);
		if (again > 0) return;
		for (const c of DEFAULT_CLASSES) {
			const id = await createClass(t, SYSTEM_ACTOR, { ...c, label: c.label ?? c.name }, true);
			for (const a of c.attributes ?? []) await addAttribute(t, SYSTEM_ACTOR, { classId: id }, a);
		}
		for (const d of DEFAULT_DOMAINS) {
			const id = await createDomain(t, SYSTEM_ACTOR, d, true);
			for (const a of DOMAIN_ATTRIBUTES[d.name] ?? [])
				await addAttribute(t, SYSTEM_ACTOR, { domainId: id }, a);
		}
	});
}
