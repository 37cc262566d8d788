import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parseXml } from './xml';
import { parseRequest, type OcsContent } from './request';
import { mapOcsInventory, platformOf } from './map';

// Captured from the real ocsinventory-agent 2.10 (`--local`), trimmed (see tests/fixtures/ocs/README.md).
const FIXTURE = path.resolve(import.meta.dirname, '../../../../tests/fixtures/ocs/physical-debian.ocs');
const fixture = fs.readFileSync(FIXTURE, 'utf8');

async function content(xml: string): Promise<OcsContent> {
	const req = parseRequest(await parseXml(Buffer.from(xml)));
	if (req.query !== 'INVENTORY') throw new Error('not an inventory');
	return req.content;
}

describe('OCS inventory XML → Inventory', () => {
	it('maps the captured report of a Debian server', async () => {
		const inv = mapOcsInventory(await content(fixture));
		expect(inv.system).toEqual({
			hostname: 'vm',
			manufacturer: 'Dell Inc.',
			model: 'PowerEdge R640',
			serial: '7XK2Q33',
			uuid: '4c4c4544-0058-4b10-8032-b7c04f513333',
			machineId: null,
			virtual: false
		});
		expect(inv.bios).toEqual({
			vendor: 'Dell Inc.',
			version: '2.19.1',
			releaseDate: '06/21/2023',
			serial: null
		});
		expect(inv.baseboard).toEqual({
			manufacturer: 'Dell Inc.',
			model: '0X45NX',
			version: null,
			serial: '.7XK2Q33.CNFCP0098B01AZ.'
		});
		expect(inv.os).toEqual({
			platform: 'linux',
			name: 'Debian GNU/Linux',
			version: '12',
			codename: 'bookworm',
			kernel: null,
			arch: 'x86_64'
		});
		expect(inv.cpu).toEqual({
			manufacturer: 'AMD',
			model: 'AMD EPYC',
			speedMhz: null,
			count: 1,
			cores: 2,
			threads: 2
		});
	});

	it('keeps installed modules and leaves empty memory sockets out', async () => {
		const inv = mapOcsInventory(await content(fixture));
		expect(inv.memory?.totalMb).toBe(24105);
		expect(inv.memory?.swapMb).toBe(0);
		expect(inv.memory?.slots).toEqual([
			{
				slot: 'A1',
				caption: 'Synchronous',
				capacityMb: 32768,
				type: 'DDR4',
				speedMhz: 2666,
				manufacturer: 'Hynix Semiconductor',
				serial: '3A1B2C4D'
			},
			{
				slot: 'A2',
				caption: 'Synchronous',
				capacityMb: 32768,
				type: 'DDR4',
				speedMhz: 2666,
				manufacturer: 'Hynix Semiconductor',
				serial: '3A1B2C4E'
			}
		]);
	});

	it('maps disks with decimal-MB sizes and drops RAM-backed devices', async () => {
		const inv = mapOcsInventory(await content(fixture));
		expect(inv.storage).toEqual([
			{
				device: '/dev/vda',
				model: null,
				vendor: null,
				type: 'other',
				interface: null,
				sizeBytes: 274_877_906_944,
				serial: null
			}
		]);
		expect(inv.partitions).toEqual([
			{
				device: '/dev/vda',
				mount: '/',
				fsType: 'ext4',
				sizeBytes: 258019 * 2 ** 20,
				usedBytes: null
			}
		]);
	});

	it('merges the one-entry-per-address NETWORKS into one adapter each', async () => {
		const inv = mapOcsInventory(await content(fixture));
		expect(inv.network.map((n) => n.name)).toEqual(['eth0', 'ifb0', 'ifb1']);
		expect(inv.network[0]).toEqual({
			name: 'eth0',
			description: 'virtio_net',
			mac: '02:fc:00:00:00:01',
			ipv4: ['192.0.2.2'],
			ipv6: ['fe80::fc:ff:fe00:1'],
			mask: '255.255.255.0',
			gateway: '192.0.2.1',
			dhcp: null,
			speedMbps: null,
			virtual: null
		});
		expect(inv.network[1].speedMbps).toBe(0);
	});

	it('maps software: dpkg names without the architecture, ISO dates, sizes in KiB, entities decoded', async () => {
		const inv = mapOcsInventory(await content(fixture));
		expect(inv.software).toHaveLength(14);
		const zlib = inv.software.find((x) => x.name === 'zlib1g');
		expect(zlib).toEqual({
			name: 'zlib1g',
			publisher: 'http://zlib.net/',
			version: '1:1.2.13.dfsg-1',
			installDate: '2025-04-20',
			sizeKb: 168
		});
		expect(inv.software.some((x) => x.name.includes(':'))).toBe(false);
		// Two architectures of one package keep their names apart.
		const i386 = fixture.replace(/<SOFTWARES>[^]*?<\/SOFTWARES>/g, (block) =>
			block.includes('<NAME>zlib1g-dev:amd64</NAME>')
				? block
						.replace('amd64</ARCHITECTURE>', 'i386</ARCHITECTURE>')
						.replace('zlib1g-dev:amd64', 'zlib1g:i386')
				: block
		);
		const both = mapOcsInventory(await content(i386));
		expect(both.software.filter((x) => x.name.startsWith('zlib1g')).map((x) => x.name)).toEqual([
			'zlib1g:amd64',
			'zlib1g:i386'
		]);
	});

	it('cuts over-long text to the schema bounds instead of refusing the report', async () => {
		const long = 'x'.repeat(5000);
		const inv = mapOcsInventory(
			await content(fixture.replace('<SMODEL>PowerEdge R640</SMODEL>', `<SMODEL>${long}</SMODEL>`))
		);
		expect(inv.system.model).toHaveLength(256);
	});

	it('names the platform from the OS name', () => {
		expect(platformOf('Microsoft Windows 10 Pro')).toBe('win32');
		expect(platformOf('macOS')).toBe('darwin');
		expect(platformOf('FreeBSD')).toBe('freebsd');
		expect(platformOf('Debian GNU/Linux 12')).toBe('linux');
	});
});
