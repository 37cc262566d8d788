// The agent's collector: probe output → the protocol's Inventory, and the package managers' output.
import { describe, expect, it } from 'vitest';
import { buildInventory, clean, publisherName } from '../../../agent/src/modules/inventory/normalise';
import { parseDpkg, parseRpm } from '../../../agent/src/modules/inventory/software';
import { validInventory, collectInventory } from '../../../agent/src/modules/inventory/collect';
import { sectionHashes } from '../../../agent/src/modules/inventory/report';
import { inventorySchema } from '../../../src/lib/protocol/inventory';
import { serverProbes } from './fixtures';

describe('normalising probe output', () => {
	const inv = buildInventory(serverProbes());

	it('is a valid inventory as built (no section needs dropping)', () => {
		const p = inventorySchema.safeParse(inv);
		expect(p.success, JSON.stringify(p.error?.issues)).toBe(true);
		expect(p.data).toEqual(inv);
	});

	it('reads identity, firmware, OS and CPU', () => {
		expect(inv.system).toEqual({
			hostname: 'db-01.example.com',
			manufacturer: 'Dell Inc.',
			model: 'PowerEdge R740',
			serial: 'CZ1234567',
			uuid: '4c4c4544-0031-3210-8033-c3c04f333232',
			machineId: '5f1e2d3c4b5a69788796a5b4c3d2e1f0',
			virtual: false
		});
		expect(inv.bios).toMatchObject({ vendor: 'Dell Inc.', version: '2.12.2', releaseDate: '2021-07-08' });
		expect(inv.os).toEqual({
			platform: 'linux',
			name: 'Debian GNU/Linux',
			version: '12',
			codename: 'bookworm',
			kernel: '6.1.0-18-amd64',
			arch: 'x64'
		});
		// nominal maximum clock, two sockets, physical cores and threads
		expect(inv.cpu).toEqual({
			manufacturer: 'Intel',
			model: 'Intel Xeon® Gold 6130',
			speedMhz: 3700,
			count: 2,
			cores: 32,
			threads: 64
		});
	});

	it('lists populated memory slots in slot order with the totals', () => {
		expect(inv.memory!.totalMb).toBe(65536);
		expect(inv.memory!.swapMb).toBe(8192);
		expect(inv.memory!.slots.map((s) => [s.slot, s.capacityMb, s.type, s.speedMhz, s.caption])).toEqual([
			['A1', 32768, 'DDR4', 2666, 'DIMM DDR4'],
			['B1', 32768, 'DDR4', 2666, 'DIMM DDR4']
		]);
	});

	it('keeps real disks (merging the disk layout) and leaves out loop and zram devices', () => {
		expect(inv.storage.map((d) => [d.device, d.type, d.vendor, d.interface, d.serial])).toEqual([
			['/dev/nvme0n1', 'NVMe', 'Samsung', 'PCIe', 'S4ABC123'],
			['/dev/sda', 'SSD', null, 'sata', 'PHYF0123']
		]);
	});

	it('lists partitions and mounted file systems without pseudo file systems or usage', () => {
		expect(inv.partitions.map((p) => [p.device, p.mount, p.fsType, p.usedBytes])).toEqual([
			['/dev/nvme0n1', '/var/lib/postgresql', 'xfs', null],
			['/dev/sda1', '/', 'ext4', null],
			['nas:/export', '/mnt/nas', 'nfs4', null]
		]);
	});

	it('lists adapters with every address, gateway on the default one, no loopback or veth', () => {
		expect(inv.network.map((n) => n.name)).toEqual(['docker0', 'eno1']);
		const eno1 = inv.network.find((n) => n.name === 'eno1')!;
		expect(eno1).toMatchObject({
			mac: '24:6e:96:00:00:01',
			ipv4: ['10.0.0.20', '10.0.0.21'],
			ipv6: ['2001:db8::21'],
			mask: '255.255.255.0',
			gateway: '10.0.0.1',
			dhcp: false,
			speedMbps: 10000
		});
		expect(inv.network.find((n) => n.name === 'docker0')).toMatchObject({
			gateway: null,
			speedMbps: null,
			virtual: true
		});
	});

	it('reads video and USB, sorted', () => {
		expect(inv.video).toEqual([
			{ vendor: 'Matrox Electronics Systems Ltd.', model: 'Integrated Matrox G200eW3', vramMb: 16 }
		]);
		expect(inv.usb.map((u) => u.name)).toEqual(['2.0 root hub', 'Virtual Keyboard']);
		expect(inv.software.map((s) => s.name)).toEqual(['openssl', 'postgresql-15']);
	});

	it('gives the same inventory and hashes whatever order the probes answered in', () => {
		const r = serverProbes();
		r.memLayout!.reverse();
		r.blockDevices!.reverse();
		r.networkInterfaces!.reverse();
		r.usb!.reverse();
		r.software!.reverse();
		r.addresses!.eno1!.reverse();
		expect(sectionHashes(buildInventory(r))).toEqual(sectionHashes(inv));
	});

	it('survives every probe failing: unknown parts are null or empty, still a valid inventory', () => {
		const r = serverProbes();
		for (const k of Object.keys(r) as (keyof typeof r)[])
			if (k !== 'hostname' && k !== 'platform') (r as unknown as Record<string, null>)[k] = null;
		const bare = buildInventory(r);
		expect(inventorySchema.safeParse(bare).success).toBe(true);
		expect(bare).toMatchObject({ bios: null, cpu: null, memory: null, storage: [], software: [] });
		expect(bare.system.hostname).toBe('db-01.example.com');
		expect(bare.os).toMatchObject({ platform: 'linux', name: 'linux' });
	});

	it('drops only the section that fails the schema', () => {
		const bad = { ...inv, usb: [{ name: 'x'.repeat(300) }] } as unknown as typeof inv;
		const dropped: string[] = [];
		const fixed = validInventory(bad, (s) => dropped.push(s));
		expect(dropped).toEqual(['usb']);
		expect(fixed.usb).toEqual([]);
		expect(fixed.software).toEqual(inv.software);
	});
});

describe('cleaning values', () => {
	it('turns firmware placeholders and blanks into null, bounds length, one line', () => {
		for (const junk of [
			'',
			'  ',
			'-',
			'To Be Filled By O.E.M.',
			'Default string',
			'Not Specified',
			'N/A',
			'0',
			'System Serial Number'
		])
			expect(clean(junk), junk).toBeNull();
		expect(clean(' Dell\nInc. ')).toBe('Dell Inc.');
		expect(clean('a'.repeat(300), 10)).toBe('aaaaaaaaaa');
		expect(publisherName('Debian OpenSSL Team <pkg-openssl-devel@lists.alioth.debian.org>')).toBe(
			'Debian OpenSSL Team'
		);
	});
});

describe('package managers', () => {
	it('parses dpkg-query output, only installed packages', () => {
		const out = [
			'bash\t5.2.15-2+b2\tMatthias Klose <doko@debian.org>\t7164\tinstalled',
			'libc6:amd64\t2.36-9+deb12u4\tGNU Libc Maintainers <debian-glibc@lists.debian.org>\t12988\tinstalled',
			'oldpkg\t1.0\tSomeone <a@b>\t10\tconfig-files',
			''
		].join('\n');
		expect(parseDpkg(out)).toEqual([
			{ name: 'bash', publisher: 'Matthias Klose', version: '5.2.15-2+b2', installDate: null, sizeKb: 7164 },
			{
				name: 'libc6:amd64',
				publisher: 'GNU Libc Maintainers',
				version: '2.36-9+deb12u4',
				installDate: null,
				sizeKb: 12988
			}
		]);
	});

	it('parses rpm output with install dates, skipping gpg keys', () => {
		const out = [
			'kernel\t5.14.0-362.el9\tRed Hat, Inc.\t0\t1700000000',
			'bash\t5.1.8-6.el9\tRed Hat, Inc.\t7738634\t1699000000',
			'gpg-pubkey\tfd431d51-4ae0493b\t(none)\t0\t1699000000',
			'local-tool\t1:2.0-1\t(none)\t2048\t0'
		].join('\n');
		expect(parseRpm(out)).toEqual([
			{
				name: 'kernel',
				publisher: 'Red Hat, Inc.',
				version: '5.14.0-362.el9',
				installDate: '2023-11-14',
				sizeKb: 0
			},
			{
				name: 'bash',
				publisher: 'Red Hat, Inc.',
				version: '5.1.8-6.el9',
				installDate: '2023-11-03',
				sizeKb: 7557
			},
			{ name: 'local-tool', publisher: null, version: '1:2.0-1', installDate: null, sizeKb: 2 }
		]);
	});
});

describe('collecting on this machine', () => {
	it('returns a valid inventory within its time bound', async () => {
		const t0 = Date.now();
		const inv = await collectInventory({ probeTimeoutMs: 10_000 });
		expect(Date.now() - t0).toBeLessThan(25_000);
		expect(inventorySchema.safeParse(inv).success).toBe(true);
		expect(inv.system.hostname.length).toBeGreaterThan(0);
		expect(inv.os.platform).toBe(process.platform);
	}, 30_000);
});
