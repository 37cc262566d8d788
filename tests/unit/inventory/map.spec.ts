// Inventory → CMDB records, and the "what changed" counts of the notification.
import { describe, expect, it } from 'vitest';
import { Model } from '../../../src/server/cmdb/model';
import { DEFAULT_CLASSES, DEFAULT_DOMAINS } from '../../../src/server/cmdb/seed';
import { managementIp, mapInventory, vendorName } from '../../../src/server/inventory/map';
import { describeChanges, summarise } from '../../../src/server/inventory/diff';
import { INVENTORY_SECTIONS, type InventorySection } from '../../../src/lib/protocol/inventory';
import { sampleInventory } from './fixtures';

/** The default model, in memory (rows as the seed would create them). */
function defaultModel(drop: { attrs?: string[]; domains?: string[] } = {}): Model {
	let id = 1;
	const classId = new Map<string, number>();
	const classRows = DEFAULT_CLASSES.map((c) => {
		const row = {
			id: id++,
			name: c.name,
			label: c.label ?? c.name,
			description: '',
			parentId: c.parent ? classId.get(c.parent)! : null,
			abstract: c.abstract ?? false,
			requireChangeMessage: false,
			builtIn: true,
			createdAt: new Date()
		};
		classId.set(c.name, row.id);
		return row;
	});
	const attr = (
		a: { name: string; label?: string; type: string; unique?: boolean; enumValues?: string[] },
		owner: { classId?: number; domainId?: number }
	) => ({
		id: id++,
		classId: owner.classId ?? null,
		domainId: owner.domainId ?? null,
		name: a.name,
		label: a.label ?? a.name,
		type: a.type,
		required: false,
		unique: a.unique ?? false,
		defaultValue: null,
		displayOrder: 1,
		enumValues: a.enumValues ?? null,
		refClassId: null,
		description: '',
		manualPolicy: 'protect',
		removedAt: drop.attrs?.includes(a.name) ? new Date() : null,
		createdAt: new Date()
	});
	const attrRows = DEFAULT_CLASSES.flatMap((c) =>
		(c.attributes ?? []).map((a) => attr(a, { classId: classId.get(c.name) }))
	);
	const domainRows = DEFAULT_DOMAINS.filter((d) => !drop.domains?.includes(d.name)).map((d) => ({
		id: id++,
		name: d.name,
		sourceClassId: classId.get(d.source)!,
		targetClassId: classId.get(d.target)!,
		cardinality: d.cardinality,
		forwardLabel: d.forwardLabel,
		reverseLabel: d.reverseLabel,
		containment: false,
		dependent: 'source',
		description: '',
		builtIn: true
	}));
	const sw = domainRows.find((d) => d.name === 'SoftwareInstallations');
	if (sw)
		attrRows.push(
			attr({ name: 'installedVersion', label: 'Installed version', type: 'text' }, { domainId: sw.id }),
			attr({ name: 'installDate', label: 'Install date', type: 'date' }, { domainId: sw.id })
		);
	return new Model(classRows as never, attrRows as never, domainRows as never);
}

const all = new Set<InventorySection>(INVENTORY_SECTIONS);
const host = { key: '7d4f8a52-2b1e-4c55-9a0e-0123456789ab', name: 'host-1' };

describe('mapping an inventory into the CMDB', () => {
	it('fills the Device CI from system, OS, CPU, memory and network, keyed by agent id', () => {
		const m = mapInventory(defaultModel(), host, sampleInventory(1), all)!;
		expect(m.spec).toMatchObject({ class: 'Device', key: 'agentId', missing: 'ignore' });
		expect(m.record.key).toBe(host.key);
		expect(m.record.name).toBe('host-1');
		expect(m.record.data).toEqual({
			hostname: 'host-1',
			manufacturer: 'QEMU',
			model: 'Standard PC',
			serialNumber: 'SN-1',
			os: 'Debian GNU/Linux',
			osVersion: '12 (bookworm)',
			cpu: 'AMD EPYC 7763',
			cpuCores: 4,
			ramMb: 16384,
			managementIp: '10.1.0.1'
		});
	});

	it('makes child records: memory by slot, disks by device, adapters by interface, software by name and vendor', () => {
		const m = mapInventory(defaultModel(), host, sampleInventory(1), all)!;
		expect(m.spec.children!.map((c) => [c.domain, c.identify.join('+'), c.missing])).toEqual([
			['ItemMemory', 'slot', 'flag'],
			['ItemStorage', 'devicePath', 'flag'],
			['ItemNetworkAdapters', 'interfaceName', 'delete'],
			['SoftwareInstallations', 'name+vendor', 'delete']
		]);
		const c = m.record.children!;
		expect(c.ItemMemory[0]).toEqual({
			name: 'DIMM 0 (8 GiB DDR4)',
			data: {
				slot: 'DIMM 0',
				capacityMb: 8192,
				memoryType: 'DDR4',
				speedMhz: null,
				manufacturer: null,
				serialNumber: null,
				model: null
			}
		});
		expect(c.ItemStorage[0].data).toMatchObject({
			devicePath: '/dev/vda',
			capacityGb: 107.4,
			storageType: 'HDD'
		});
		expect(c.ItemNetworkAdapters[0]).toMatchObject({
			name: 'eth0 (wired)',
			data: { interfaceName: 'eth0', macAddress: '52:54:00:00:00:01', ipAddress: '10.1.0.1' }
		});
		expect(c.SoftwareInstallations[0]).toEqual({
			name: 'bash',
			data: { vendor: 'Matthias Klose' },
			relationData: { installedVersion: '5.2.15-2+b2', installDate: '2024-01-01' }
		});
	});

	it('maps only the sections asked for (a delta touches only its own CIs)', () => {
		const m = mapInventory(defaultModel(), host, sampleInventory(1), new Set(['software']))!;
		expect(Object.keys(m.record.children!)).toEqual(['SoftwareInstallations']);
		expect(m.record.data).toEqual({});
	});

	it('leaves a domain alone when its list is empty (a probe that failed) and attributes alone when unknown', () => {
		const inv = sampleInventory(1, { storage: [], software: [], cpu: null });
		const m = mapInventory(defaultModel(), host, inv, all)!;
		expect(Object.keys(m.record.children!)).toEqual(['ItemMemory', 'ItemNetworkAdapters']);
		expect(m.record.data).not.toHaveProperty('cpu');
	});

	it('merges several installed versions of one product and drops values the model refuses', () => {
		const inv = sampleInventory(1, {
			software: [
				{ name: 'kernel', publisher: 'Red Hat, Inc.', version: '5.14.0-1', installDate: '2024-01-01' },
				{
					name: 'kernel',
					publisher: 'Red Hat, Inc. <security@redhat.com>',
					version: '5.14.0-2',
					installDate: '2024-03-01'
				},
				{ name: 'odd', publisher: null, version: '1', installDate: '2024-13-45' }
			]
		});
		const sw = mapInventory(defaultModel(), host, inv, all)!.record.children!.SoftwareInstallations;
		expect(sw).toEqual([
			{
				name: 'kernel',
				data: { vendor: 'Red Hat, Inc.' },
				relationData: { installedVersion: '5.14.0-1, 5.14.0-2', installDate: '2024-03-01' }
			},
			{ name: 'odd', data: { vendor: null }, relationData: { installedVersion: '1' } }
		]);
	});

	it('follows the model: removed attributes and domains are left out, a model without Device maps nothing', () => {
		const m = mapInventory(
			defaultModel({ attrs: ['cpuCores'], domains: ['ItemMemory'] }),
			host,
			sampleInventory(1),
			all
		)!;
		expect(m.record.data).not.toHaveProperty('cpuCores');
		expect(m.spec.children!.map((c) => c.domain)).not.toContain('ItemMemory');
		expect(mapInventory(defaultModel({ attrs: ['agentId'] }), host, sampleInventory(1), all)).toBeNull();
	});

	it('picks the management address on the adapter with the default gateway', () => {
		const base = {
			description: null,
			mac: null,
			ipv6: [],
			mask: null,
			dhcp: null,
			speedMbps: null,
			virtual: null
		};
		expect(
			managementIp([
				{ ...base, name: 'docker0', ipv4: ['172.17.0.1'], gateway: null },
				{ ...base, name: 'eth0', ipv4: ['10.0.0.5'], gateway: '10.0.0.1' }
			])
		).toBe('10.0.0.5');
		expect(vendorName('  Team <a@b.c> ')).toBe('Team');
	});
});

describe('what changed', () => {
	it('counts added, removed and changed items per section', () => {
		const a = sampleInventory(1);
		const b = sampleInventory(1, {
			software: [
				{ ...a.software[0], version: '5.3' }, // bash upgraded
				a.software[2], // curl removed
				{ name: 'vim', publisher: null, version: '9' }, // added
				{ name: 'git', publisher: null, version: '2' } // added
			],
			os: { ...a.os, kernel: '6.1.1' }
		});
		const changes = describeChanges(a, b, ['os', 'software']);
		expect(changes).toEqual([
			{ section: 'os', added: 0, removed: 0, changed: 1 },
			{ section: 'software', added: 2, removed: 1, changed: 1 }
		]);
		expect(summarise(changes)).toBe('os: changed; software: 2 added, 1 removed, 1 changed');
	});

	it('counts memory modules and the total', () => {
		const a = sampleInventory(1);
		const b = sampleInventory(1, {
			memory: { totalMb: 24576, swapMb: 0, slots: [...a.memory!.slots, { slot: 'DIMM 2', capacityMb: 8192 }] }
		});
		expect(summarise(describeChanges(a, b, ['memory']))).toBe('memory: 1 added, 1 changed');
	});
});
