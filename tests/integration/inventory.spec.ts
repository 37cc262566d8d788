// Inventory: a real agent process reporting to a real server (scheduled, on demand, unchanged rounds; the
// server's reconciliation worker brings it into the CMDB), and in-process on PGlite and PostgreSQL: the report
// handler storing and queueing, the worker reconciling (deltas, bases, refusals, history, notifications), and
// the worker itself (batches, claims by several workers, stale claims, failures and retries).

import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, isNotNull, sql } from 'drizzle-orm';
import type { Socket } from 'socket.io-client';
import { dbKinds, freshPostgres, openTestDb } from '../helpers/db';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import {
	buildAgent,
	enrollWithNewToken,
	rawLink,
	type RunningAgent,
	startAgent,
	until
} from '../helpers/agents';
import { migrate, openDatabase, queryRows, type Database, type Db } from '../../src/server/db/client';
import { agentEvents, agents, devices, inventories, notifications } from '../../src/server/db/schema';
import { createCi, ciView } from '../../src/server/cmdb/cis';
import { unrelate } from '../../src/server/cmdb/relations';
import { history } from '../../src/server/cmdb/history';
import { applyReport, ReportRefused } from '../../src/server/agents/reports';
import {
	applyInventory,
	InventoryWorker,
	inventoryWorker,
	pendingHosts,
	startInventoryWorker,
	type WorkerOptions
} from '../../src/server/inventory';
import { claimHosts, finishHosts, releaseClaims, requeueHosts } from '../../src/server/inventory/queue';
import { reconcileClaimed } from '../../src/server/inventory/batch';
import { loadModel } from '../../src/server/cmdb/model';
import { updateAttribute } from '../../src/server/cmdb/model-attributes';
import { seedCmdb } from '../../src/server/cmdb/seed';
import { seedAccess } from '../../src/server/access/seed';
import { planReport, type SectionHashes } from '../../agent/src/modules/inventory/report';
import type { Inventory, InventoryReport } from '../../src/lib/protocol/inventory';
import { sampleInventory } from '../unit/inventory/fixtures';

const kinds = await dbKinds();

/** Rows in the CMDB's tables: what "writes nothing" is measured by. */
async function cmdbRows(db: Db) {
	const [r] = await queryRows<{ cis: number; rels: number; hist: number; maxHist: number }>(
		db,
		sql`select (select count(*)::int from cmdb_cis) as cis, (select count(*)::int from cmdb_relations) as rels,
			(select count(*)::int from cmdb_history) as hist, (select coalesce(max(id), 0)::int from cmdb_history) as "maxHist"`
	);
	return r;
}

describe.each(kinds)('inventory in-process on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let worker: InventoryWorker;
	const seqs = new Map<string, number>();
	/** What the gateway's worker does after a report commits; nothing may be left waiting afterwards. */
	const reconciled = async () => {
		await worker.drain();
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
	};

	/** An enrolled agent as enrolment leaves it: agent row, device, Device CI with agentId. */
	async function enrolAgent(hostname: string) {
		const id = crypto.randomUUID();
		const [device] = await db
			.insert(devices)
			.values({ name: `${hostname}-${id.slice(0, 4)}` })
			.returning();
		const ci = await createCi(
			db,
			{ actor: { id: null, name: 'test' }, source: 'system' },
			{
				class: 'Device',
				name: hostname,
				data: { hostname, agentId: id }
			}
		);
		await db.insert(agents).values({
			id,
			hostname,
			deviceId: device.id,
			ciId: ci.id,
			certSerial: '01',
			certFingerprint: 'ff',
			certNotAfter: new Date(Date.now() + 86_400_000)
		});
		return { id, deviceId: device.id, ciId: ci.id };
	}

	const send = (agentId: string, body: unknown, claimed = agentId) => {
		const seq = (seqs.get(agentId) ?? 0) + 1;
		return applyReport(db, agentId, {
			agentId: claimed,
			seq,
			kind: 'inventory',
			at: new Date().toISOString(),
			body
		}).then((ack) => {
			seqs.set(agentId, seq);
			return ack;
		});
	};
	const report = (inv: Inventory, prev: SectionHashes | null) =>
		planReport(inv, prev, { trigger: 'schedule' });
	const stored = async (key: string) =>
		(await db.select().from(inventories).where(eq(inventories.key, key)))[0];
	const lastSeq = async (id: string) => (await db.select().from(agents).where(eq(agents.id, id)))[0].lastSeq;

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
		worker = new InventoryWorker(db, { node: 'test', release: 'none' });
	});
	afterAll(async () => database?.dispose());

	it('reconciles a full inventory into the Device CI and its children; the same again writes nothing', async () => {
		const a = await enrolAgent('host-1');
		const inv = sampleInventory(1);
		const rows0 = await cmdbRows(db);
		expect(await send(a.id, report(inv, null).body)).toEqual({ ok: true, duplicate: false });
		// the report only stored and queued it: the CMDB has it once the worker ran
		expect(await stored(a.id)).toMatchObject({ reconcileSections: expect.arrayContaining(['software']) });
		expect(await cmdbRows(db)).toEqual(rows0);
		await reconciled();

		const ci = await ciView(db, a.ciId);
		expect(ci.data).toMatchObject({
			agentId: a.id,
			hostname: 'host-1',
			os: 'Debian GNU/Linux',
			osVersion: '12 (bookworm)',
			cpu: 'AMD EPYC 7763',
			cpuCores: 4,
			ramMb: 16384,
			serialNumber: 'SN-1',
			managementIp: '10.1.0.1'
		});
		const byDomain = (d: string) => ci.relations.filter((r) => r.domain === d);
		expect(byDomain('ItemMemory').map((r) => r.other.name)).toEqual([
			'DIMM 0 (8 GiB DDR4)',
			'DIMM 1 (8 GiB DDR4)'
		]);
		expect(byDomain('ItemStorage').map((r) => r.other.name)).toEqual(['QEMU HARDDISK (/dev/vda)']);
		expect(byDomain('ItemNetworkAdapters').map((r) => r.other.name)).toEqual(['eth0 (wired)']);
		expect(byDomain('SoftwareInstallations').map((r) => [r.other.name, r.data])).toEqual([
			['bash', { installedVersion: '5.2.15-2+b2', installDate: '2024-01-01' }],
			['curl', { installedVersion: '7.88.1-10+deb12u5', installDate: '2024-01-02' }],
			['nginx', { installedVersion: '1.22.1-9' }]
		]);
		const row = await stored(a.id);
		expect(row).toMatchObject({
			source: 'agent',
			deviceId: a.deviceId,
			ciId: a.ciId,
			lastChange: null,
			reconcileSections: null,
			reconcileDueAt: null,
			reconcileClaim: null,
			pendingChange: null
		});
		expect(row.software).toEqual(inv.software);
		// a first inventory is not a "change": nobody is notified
		expect(await db.select().from(notifications)).toEqual([]);

		// the agent restarts and sends the same inventory in full: nothing changed, nothing queued or written
		const before = await cmdbRows(db);
		const version = row.reconcileVersion;
		expect(await send(a.id, report(structuredClone(inv), null).body)).toEqual({ ok: true, duplicate: false });
		expect(await stored(a.id)).toMatchObject({ reconcileSections: null, reconcileVersion: version });
		await reconciled();
		expect(await cmdbRows(db)).toEqual(before);
		// and unchanged (hashes only): the server notes it heard, and writes nothing in the CMDB
		const r1 = (await stored(a.id)).receivedAt;
		await new Promise((r) => setTimeout(r, 5));
		expect(await send(a.id, report(inv, report(inv, null).hashes).body)).toEqual({
			ok: true,
			duplicate: false
		});
		expect(await stored(a.id)).toMatchObject({ reconcileSections: null, reconcileVersion: version });
		await reconciled();
		expect(await cmdbRows(db)).toEqual(before);
		expect((await stored(a.id)).receivedAt.getTime()).toBeGreaterThan(r1.getTime());
		// the same through applyInventory directly (what the OCS endpoint calls)
		const direct = await applyInventory(
			db,
			{ key: a.id, name: 'host-1', deviceId: a.deviceId, source: 'agent' },
			inv
		);
		expect(direct).toMatchObject({ changed: false, sectionsChanged: [], ciId: a.ciId, change: null });
		expect(direct.result.rowsWritten).toBe(0);
		expect(await cmdbRows(db)).toEqual(before);
		expect(await db.select().from(notifications)).toEqual([]);
	});

	it('a changed section updates CI history with source "inventory", notifies, and notes it on the device', async () => {
		const a = await enrolAgent('host-2');
		const inv = sampleInventory(2);
		const first = report(inv, null);
		await send(a.id, first.body);
		await reconciled();
		const before = await cmdbRows(db);

		const changed: Inventory = {
			...inv,
			software: [
				{ ...inv.software[0], version: '5.2.21-2' }, // bash upgraded
				inv.software[2], // curl removed
				{
					name: 'vim',
					publisher: 'Debian Vim Maintainers',
					version: '9.0',
					installDate: '2024-05-01',
					sizeKb: null
				}
			]
		};
		const delta = report(changed, first.hashes);
		expect(delta.sections).toEqual(['software']);
		expect(await send(a.id, delta.body)).toEqual({ ok: true, duplicate: false });
		// stored and queued with its change; nobody is told before the CMDB has it
		expect(await stored(a.id)).toMatchObject({
			reconcileSections: ['software'],
			pendingChange: { summary: 'software: 1 added, 1 removed, 1 changed', seq: seqs.get(a.id) },
			lastChange: null
		});
		expect(await db.select().from(notifications)).toEqual([]);
		expect(await cmdbRows(db)).toEqual(before);
		await reconciled();

		const ci = await ciView(db, a.ciId);
		expect(
			ci.relations
				.filter((r) => r.domain === 'SoftwareInstallations')
				.map((r) => [r.other.name, r.data.installedVersion])
		).toEqual([
			['bash', '5.2.21-2'],
			['nginx', '1.22.1-9'],
			['vim', '9.0']
		]);
		const h = (await history(db, a.ciId)).filter((e) => e.id > before.maxHist);
		expect(h.length).toBeGreaterThanOrEqual(3);
		expect(new Set(h.map((e) => e.source))).toEqual(new Set(['inventory']));
		expect(h.map((e) => e.op).sort()).toEqual(expect.arrayContaining(['relate', 'unrelate']));

		const row = await stored(a.id);
		expect(row.lastChange).toMatchObject({
			sections: [{ section: 'software', added: 1, removed: 1, changed: 1 }],
			summary: 'software: 1 added, 1 removed, 1 changed'
		});
		expect(row.lastChange!.cmdbRows).toBeGreaterThan(0);
		const notes = await db.select().from(notifications);
		// Administrator (everything), Operator (agents.read, cmdb.read), Viewer (cmdb.read)
		expect(notes.map((n) => [n.audienceType, n.title])).toEqual([
			['role', 'Configuration changed: host-2'],
			['role', 'Configuration changed: host-2'],
			['role', 'Configuration changed: host-2']
		]);
		expect(notes[0].body).toContain('software: 1 added, 1 removed, 1 changed');
		const events = await db.select().from(agentEvents).where(eq(agentEvents.agentId, a.id));
		expect(events.map((e) => e.message)).toEqual([
			'Configuration changed: software: 1 added, 1 removed, 1 changed'
		]);
		await db.delete(notifications);
	});

	it('stores a delta it has no base for as far as it goes, and asks for a full inventory', async () => {
		const a = await enrolAgent('host-3');
		const inv = sampleInventory(3);
		const full = report(inv, null);
		// the full report was lost: the first thing the server sees is a delta
		const changed = { ...inv, usb: [{ name: 'YubiKey', vendor: 'Yubico', type: 'HID', serial: null }] };
		const delta = report(changed, full.hashes);
		expect(await send(a.id, delta.body)).toEqual({ ok: true, duplicate: false });
		await reconciled();
		let row = await stored(a.id);
		expect(row.usb).toEqual(changed.usb);
		expect(row.system).toBeNull();
		expect(row.fullRequestedAt).not.toBeNull();
		expect(Object.keys(row.hashes)).toEqual(['usb']);

		// the full one comes: the server's copy is whole again
		const again = report(changed, null);
		await send(a.id, again.body);
		await reconciled();
		row = await stored(a.id);
		expect(row.fullRequestedAt).toBeNull();
		expect(row.hashes).toEqual(again.hashes);

		// a delta against a base the server does not hold (a report in between was dropped)
		const wrong = { ...again.hashes, software: '0'.repeat(64) };
		const d2 = report({ ...changed, usb: [] }, wrong);
		expect(d2.sections.sort()).toEqual(['software', 'usb']);
		const d3 = report({ ...changed, usb: [] }, again.hashes);
		const mismatched: InventoryReport = { ...d3.body, hashes: { ...d3.body.hashes, bios: 'f'.repeat(64) } };
		await send(a.id, mismatched);
		row = await stored(a.id);
		expect(row.usb).toEqual([]);
		expect(row.fullRequestedAt).not.toBeNull();
	});

	it("refuses a zip bomb, deep nesting, invalid sections and another agent's report, changing nothing", async () => {
		const a = await enrolAgent('host-4');
		const b = await enrolAgent('host-5');
		const inv = sampleInventory(4);
		const ok = report(inv, null);
		await send(a.id, ok.body);
		await reconciled();
		const rows = await cmdbRows(db);
		const seqA = await lastSeq(a.id);
		const storedA = await stored(a.id);

		const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 }).toString('base64');
		let deep: unknown = 1;
		for (let i = 0; i < 10_000; i++) deep = { x: deep };
		const cases: [string, unknown, string, RegExp][] = [
			['zip bomb', { ...ok.body, sections: undefined, gz: bomb }, a.id, /unpacks to more than 32 MiB/],
			['deep', { ...ok.body, full: false, sections: { software: deep } }, a.id, /nested deeper than 8/],
			[
				'deep gz',
				{ ...ok.body, sections: undefined, gz: gzipSync('['.repeat(5000)).toString('base64') },
				a.id,
				/nested deeper/
			],
			[
				'invalid',
				{ ...ok.body, full: false, sections: { memory: { totalMb: -1 } } },
				a.id,
				/memory\.totalMb/
			],
			['no hashes', { full: true, sections: inv }, a.id, /malformed inventory report/],
			['other agent', ok.body, b.id, /claims to come from agent/]
		];
		for (const [name, body, claimed, reason] of cases) {
			const err = await send(a.id, body, claimed).then(
				() => null,
				(e: Error) => e
			);
			expect(err, name).toBeInstanceOf(ReportRefused);
			expect(err!.message, name).toMatch(reason);
		}
		expect(await lastSeq(a.id)).toBe(seqA);
		expect(await lastSeq(b.id)).toBe(0);
		await reconciled();
		expect(await cmdbRows(db)).toEqual(rows);
		expect(await stored(a.id)).toEqual(storedA);
		expect(await stored(b.id)).toBeUndefined();
	});

	it('matches by agent id, never by host name; hosts share software products', async () => {
		const a = await enrolAgent('twin');
		const b = await enrolAgent('twin-b');
		// b claims a's host name and MAC address: it still lands on b's CI
		const invA = sampleInventory(7, {
			system: {
				hostname: 'twin',
				manufacturer: null,
				model: null,
				serial: null,
				uuid: null,
				machineId: null,
				virtual: null
			}
		});
		const invB = { ...sampleInventory(7), system: invA.system };
		await send(a.id, report(invA, null).body);
		await send(b.id, report(invB, null).body);
		await reconciled();
		const [ciA, ciB] = [await ciView(db, a.ciId), await ciView(db, b.ciId)];
		expect(ciA.data.agentId).toBe(a.id);
		expect(ciB.data.agentId).toBe(b.id);
		expect(ciB.name).toBe('twin');
		const bashA = ciA.relations.find((r) => r.other.name === 'bash')!.other.id;
		const bashB = ciB.relations.find((r) => r.other.name === 'bash')!.other.id;
		expect(bashA).toBe(bashB);
		const nicA = ciA.relations.find((r) => r.domain === 'ItemNetworkAdapters')!.other.id;
		const nicB = ciB.relations.find((r) => r.domain === 'ItemNetworkAdapters')!.other.id;
		expect(nicA).not.toBe(nicB);
	});

	it('takes an OCS host through the same path, creating its Device CI', async () => {
		const [device] = await db.insert(devices).values({ name: 'ocs-host' }).returning();
		const host = {
			key: 'ocs:ocs-host-2026-01-31-09-15-02',
			name: 'ocs-host',
			deviceId: device.id,
			source: 'ocs' as const
		};
		// reconciled before it returns (the OCS agent is answered once its report is in the CMDB)
		const first = await applyInventory(db, host, sampleInventory(9));
		expect(first.error).toBeNull();
		expect(first.changed).toBe(true);
		expect(first.result.inserted).toBe(1);
		expect(first.ciId).not.toBeNull();
		const ci = await ciView(db, first.ciId!);
		expect(ci).toMatchObject({
			class: 'Device',
			name: 'ocs-host',
			data: { agentId: host.key, hostname: 'host-9' }
		});
		expect(ci.relations.length).toBe(2 + 1 + 1 + 3);
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
		const again = await applyInventory(db, host, sampleInventory(9));
		expect(again).toMatchObject({ changed: false, ciId: first.ciId });
		expect(again.result.rowsWritten).toBe(0);
		// a change: reconciled and told right away, nothing left for the worker
		const upgraded = sampleInventory(9, { cpu: { ...sampleInventory(9).cpu!, cores: 8 } });
		const third = await applyInventory(db, host, upgraded);
		expect(third).toMatchObject({ changed: true, sectionsChanged: ['cpu'], error: null });
		expect(third.change).toMatchObject({ summary: 'cpu: changed' });
		expect((await ciView(db, first.ciId!)).data.cpuCores).toBe(8);
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
		const told = (await db.select().from(notifications)).filter((n) => n.title.includes('ocs-host'));
		expect(told.map((n) => n.title)).toEqual(Array(3).fill('Configuration changed: ocs-host'));
		await db.delete(notifications);
		await expect(
			applyInventory(db, host, { system: { hostname: 5 } } as unknown as Inventory)
		).rejects.toThrow(/inventory of ocs-host is invalid: system.hostname/);
	});
});

describe.each(kinds)('the inventory reconciliation worker on %s', (kind) => {
	// Two connections to one database: on PostgreSQL two pools (two "nodes"), on PGlite the one database.
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let first: Database;
	let second: Database | null = null;
	let db: Db;
	let db2: Db;
	let seq = 0;

	/** Enrolled hosts without a Device CI yet (the worker creates them). */
	async function enrol(n: number, prefix: string) {
		const out: { id: string; inv: Inventory; hashes: SectionHashes | null }[] = [];
		for (let i = 0; i < n; i++) {
			const id = crypto.randomUUID();
			const hostname = `${prefix}-${i}`;
			const [device] = await db.insert(devices).values({ name: hostname }).returning();
			await db.insert(agents).values({
				id,
				hostname,
				deviceId: device.id,
				certSerial: '01',
				certFingerprint: 'ff',
				certNotAfter: new Date(Date.now() + 86_400_000)
			});
			const base = sampleInventory(i + 1);
			out.push({ id, inv: { ...base, system: { ...base.system!, hostname } }, hashes: null });
		}
		return out;
	}
	/** Each host's report, as its agent plans it (full the first time, then a delta or unchanged). */
	async function reportAll(hosts: Awaited<ReturnType<typeof enrol>>) {
		for (const h of hosts) {
			const plan = planReport(h.inv, h.hashes, { trigger: 'schedule' });
			h.hashes = plan.hashes;
			expect(
				await applyReport(db, h.id, {
					agentId: h.id,
					seq: ++seq,
					kind: 'inventory',
					at: new Date().toISOString(),
					body: plan.body
				})
			).toEqual({ ok: true, duplicate: false });
		}
	}
	const rowOf = async (key: string) =>
		(await db.select().from(inventories).where(eq(inventories.key, key)))[0];
	const titles = async (prefix: string) =>
		(await db.select().from(notifications))
			.map((n) => n.title)
			.filter((t) => t.startsWith(`Configuration changed: ${prefix}-`));
	const worker = (d: Db, node: string, opts: Partial<WorkerOptions> = {}) =>
		new InventoryWorker(d, { node, release: 'none', ...opts });

	beforeAll(async () => {
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		first = await openDatabase({ databaseUrl: pgdb?.url, dataDir: 'memory://' });
		await migrate(first);
		await seedAccess(first.db);
		await seedCmdb(first.db);
		if (pgdb) second = await openDatabase({ databaseUrl: pgdb.url, dataDir: 'memory://' });
		db = first.db;
		db2 = second?.db ?? db;
	});
	afterAll(async () => {
		await second?.close();
		await first?.close();
		await pgdb?.drop();
	});

	it('reconciles many hosts per reconcile() call; an unchanged round queues nothing; nothing is left pending', async () => {
		const hosts = await enrol(150, 'batch');
		await reportAll(hosts);
		// stored and queued, not yet in the CMDB
		expect(await pendingHosts(db)).toMatchObject({ count: 150, due: 150 });
		expect((await rowOf(hosts[0].id)).ciId).toBeNull();

		const w = worker(db, 'a', { batch: 100 });
		await w.drain();
		expect(w.stats).toMatchObject({ batches: 2, calls: 2, hosts: 150, largestBatch: 100, failed: 0 });
		expect(await pendingHosts(db)).toEqual({ count: 0, due: 0, oldest: null });
		for (const h of [hosts[0], hosts[99], hosts[149]]) {
			const row = await rowOf(h.id);
			expect(row.ciId).not.toBeNull();
			const ci = await ciView(db, row.ciId!);
			expect(ci.data).toMatchObject({ agentId: h.id, hostname: h.inv.system!.hostname, cpuCores: 4 });
			expect(ci.relations.length).toBe(2 + 1 + 1 + 3);
		}

		// the same again, as the agents send it when nothing changed: nothing is queued, nothing written
		const before = await cmdbRows(db);
		await reportAll(hosts);
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
		await w.drain();
		expect(w.stats.batches).toBe(2);
		expect(await cmdbRows(db)).toEqual(before);

		// 2% of the hosts upgrade a package: only those are reconciled (one call), and each is told once
		for (const h of hosts.filter((_, i) => i % 50 === 0))
			h.inv = { ...h.inv, software: h.inv.software.map((p, i) => (i ? p : { ...p, version: '9.9' })) };
		await reportAll(hosts);
		expect(await pendingHosts(db)).toMatchObject({ count: 3 });
		await w.drain();
		expect(w.stats).toMatchObject({ batches: 3, calls: 3, hosts: 153, failed: 0 });
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
		expect((await titles('batch')).sort()).toEqual(
			['batch-0', 'batch-50', 'batch-100'].flatMap((h) => Array(3).fill(`Configuration changed: ${h}`)).sort()
		);
		const row = await rowOf(hosts[50].id);
		expect(row.lastChange).toMatchObject({ summary: 'software: 1 changed', cmdbRows: 1 });
		const events = await db.select().from(agentEvents).where(eq(agentEvents.agentId, hosts[50].id));
		expect(events.map((e) => e.message)).toEqual(['Configuration changed: software: 1 changed']);
		expect((await history(db, row.ciId!)).at(-1)).toMatchObject({ source: 'inventory' });

		// an operator removes a package's relation by hand: an unchanged report leaves that; a requeue repairs it
		const ci = await ciView(db, row.ciId!);
		const nginx = ci.relations.find((r) => r.other.name === 'nginx')!;
		await unrelate(db, { actor: { id: null, name: 'test' }, source: 'user' }, nginx.id);
		await reportAll([hosts[50]]);
		await w.drain();
		expect((await ciView(db, row.ciId!)).relations.some((r) => r.other.name === 'nginx')).toBe(false);
		expect(await requeueHosts(db, [hosts[50].id])).toBe(1);
		expect((await rowOf(hosts[50].id)).reconcileSections?.length).toBeGreaterThanOrEqual(13);
		await w.drain();
		expect((await ciView(db, row.ciId!)).relations.some((r) => r.other.name === 'nginx')).toBe(true);
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
	});

	it('two workers never take the same host; a stale claim is taken over, and its late finish changes nothing', async () => {
		const hosts = await enrol(30, 'claim');
		await reportAll(hosts);
		// node A claims ten and goes quiet
		const a = await claimHosts(db, { node: 'A', token: 'token-a', limit: 10 });
		expect(a.length).toBe(10);
		const b = worker(db2, 'B', { batch: 7 });
		await b.drain();
		expect(b.stats.hosts).toBe(20);
		expect(await pendingHosts(db)).toMatchObject({ count: 10 });
		const held = await db
			.select({ key: inventories.key, by: inventories.reconcileClaimedBy })
			.from(inventories)
			.where(isNotNull(inventories.reconcileClaim));
		expect(held.map((r) => r.key).sort()).toEqual(a.map((h) => h.key).sort());
		expect(new Set(held.map((r) => r.by))).toEqual(new Set(['A']));

		// A's claim outlives STALE_CLAIM_SECONDS: B takes the hosts over
		await db.execute(
			sql`update inventories set reconcile_claimed_at = now() - interval '10 minutes' where reconcile_claim = 'token-a'`
		);
		await b.drain();
		expect(b.stats.hosts).toBe(30);
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
		// A comes back and finishes what it had claimed: its claim is gone, so nothing is touched or told
		const late = await finishHosts(
			db,
			'token-a',
			a.map((h) => ({
				key: h.key,
				version: h.version,
				error: 'late',
				ciId: null,
				lastChange: null,
				event: null
			}))
		);
		expect(late.size).toBe(0);
		expect((await rowOf(a[0].key)).reconcileError).toBeNull();

		// both workers at once on a round where every host changed: each host reconciled and told exactly once
		for (const h of hosts) h.inv = { ...h.inv, cpu: { ...h.inv.cpu!, cores: 16 } };
		await reportAll(hosts);
		const [w1, w2] = [worker(db, 'A', { batch: 4 }), worker(db2, 'B', { batch: 4 })];
		await Promise.all([w1.drain(), w2.drain()]);
		expect(w1.stats.hosts + w2.stats.hosts).toBe(30);
		expect(w1.stats.failed + w2.stats.failed).toBe(0);
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
		expect((await titles('claim')).length).toBe(30 * 3);
		expect(new Set(await titles('claim')).size).toBe(30);

		// releasing a node's claims leaves the other nodes' alone
		hosts[0].inv = { ...hosts[0].inv, cpu: { ...hosts[0].inv.cpu!, cores: 2 } };
		await reportAll([hosts[0]]);
		expect((await claimHosts(db, { node: 'A', token: 'token-a3', limit: 5 })).length).toBe(1);
		expect(await releaseClaims(db, 'B')).toBe(0);
		expect(await releaseClaims(db, 'A')).toBe(1);
		await w2.drain();
		expect(await pendingHosts(db)).toMatchObject({ count: 0 });
	});

	it('as the gateway runs it: woken by a stored report, stopped with its server; a restarted node takes over what it held', async () => {
		const hosts = await enrol(3, 'live');
		const server = new EventEmitter();
		// polling only once a minute: what happens below within seconds is the report's wake-up
		const w = startInventoryWorker({ db, dbKind: kind, nodeId: 'K' }, server, { pollMs: 60_000 });
		expect(inventoryWorker()).toBe(w);
		await reportAll(hosts);
		await until(async () => (await pendingHosts(db)).count === 0, 5000);
		expect(w.stats.hosts).toBe(3);
		expect((await rowOf(hosts[2].id)).ciId).not.toBeNull();

		server.emit('close');
		expect(inventoryWorker()).toBeUndefined();
		// node K dies in the middle of a batch: its claim stays behind
		hosts[1].inv = { ...hosts[1].inv, os: { ...hosts[1].inv.os!, kernel: '6.12.0' } };
		await reportAll([hosts[1]]);
		expect((await claimHosts(db, { node: 'K', token: 'token-k', limit: 5 })).length).toBe(1);
		await new Promise((r) => setTimeout(r, 100));
		expect(await pendingHosts(db)).toMatchObject({ count: 1 });
		// K starts again: it releases its claims at once (no waiting for them to go stale) and takes the host
		const again = startInventoryWorker({ db, dbKind: kind, nodeId: 'K' }, server, { pollMs: 60_000 });
		await until(async () => (await pendingHosts(db)).count === 0, 5000);
		expect(again.stats.hosts).toBe(1);
		expect(await titles('live')).toEqual(Array(3).fill('Configuration changed: live-1'));
		server.emit('close');
		await again.stop();
	});

	it('a report that comes in while its host is being reconciled keeps the host pending until the newer copy is in', async () => {
		const [h] = await enrol(1, 'race');
		await reportAll([h]);
		await worker(db, 'A').drain();
		const claimed = await claimHosts(db, { node: 'A', token: 'token-r', limit: 1, keys: [h.id] });
		expect(claimed.length).toBe(0); // nothing pending: nothing to claim
		h.inv = { ...h.inv, os: { ...h.inv.os!, version: '13', codename: 'trixie' } };
		await reportAll([h]);
		const mine = await claimHosts(db, { node: 'A', token: 'token-r', limit: 1 });
		expect(mine.map((x) => x.key)).toEqual([h.id]);
		// another report lands before this pass finishes
		h.inv = { ...h.inv, memory: { ...h.inv.memory!, totalMb: 32768 } };
		await reportAll([h]);
		const pass = await reconcileClaimed(db, mine, 'token-r');
		expect(pass.completed.size).toBe(0);
		expect(await rowOf(h.id)).toMatchObject({ reconcileSections: ['os', 'memory'], reconcileClaim: null });
		expect(await titles('race')).toEqual([]);
		await worker(db, 'A').drain();
		const row = await rowOf(h.id);
		expect(row).toMatchObject({ reconcileSections: null, pendingChange: null });
		expect(row.lastChange).toMatchObject({ summary: 'os: changed; memory: 1 changed' });
		expect((await ciView(db, row.ciId!)).data).toMatchObject({ osVersion: '13 (trixie)', ramMb: 32768 });
		expect(await titles('race')).toEqual(Array(3).fill('Configuration changed: race-0'));
	});

	it('a host whose record fails stays pending with backoff, and does not hold up the others', async () => {
		// an operator makes host names unique; then two hosts report the same one (a cloned VM)
		const m = await loadModel(db);
		const hostnameAttr = m.attr(m.findClass('Device')!, 'hostname')!;
		await updateAttribute(db, { id: null, name: 'test' }, hostnameAttr.id, { unique: true });
		try {
			const hosts = await enrol(5, 'fail');
			const clone = hosts[4];
			await reportAll(hosts.slice(0, 4));
			const w = worker(db, 'A');
			await w.drain();
			// one batch: three hosts with a new CPU, and the clone
			for (const h of hosts.slice(1, 4)) h.inv = { ...h.inv, cpu: { ...h.inv.cpu!, cores: 32 } };
			clone.inv = { ...clone.inv, system: { ...clone.inv.system!, hostname: 'fail-0' } };
			await reportAll([...hosts.slice(1, 4), clone]);
			await w.drain();
			expect(w.stats).toMatchObject({ batches: 2, hosts: 8, failed: 1 });
			for (const h of hosts.slice(0, 4)) {
				const r = await rowOf(h.id);
				expect(r.reconcileDueAt).toBeNull();
				expect((await ciView(db, r.ciId!)).data.cpuCores).toBe(h === hosts[0] ? 4 : 32);
			}
			expect(await titles('fail')).toHaveLength(3 * 3);
			let row = await rowOf(clone.id);
			expect(row).toMatchObject({ reconcileAttempts: 1, reconcileClaim: null });
			expect(row.reconcileError).toMatch(/unique/);
			expect(row.reconcileSections).not.toBeNull();
			const wait = (r: typeof row) => (r.reconcileDueAt!.getTime() - Date.now()) / 1000;
			expect(wait(row)).toBeGreaterThan(20);
			expect(wait(row)).toBeLessThanOrEqual(31);
			expect(await pendingHosts(db)).toMatchObject({ count: 1, due: 0 });

			// not retried before its time; then retried, failing again, waiting longer
			await w.drain();
			expect(w.stats.hosts).toBe(8);
			await db.execute(sql`update inventories set reconcile_due_at = now() where key = ${clone.id}`);
			await w.drain();
			row = await rowOf(clone.id);
			expect(w.stats).toMatchObject({ hosts: 9, failed: 2 });
			expect(row.reconcileAttempts).toBe(2);
			expect(wait(row)).toBeGreaterThan(50);

			// the host is renamed: its next report is taken at once and goes through
			clone.inv = { ...clone.inv, system: { ...clone.inv.system!, hostname: 'fail-4' } };
			await reportAll([clone]);
			await w.drain();
			row = await rowOf(clone.id);
			expect(row).toMatchObject({ reconcileAttempts: 0, reconcileError: null, reconcileDueAt: null });
			expect((await ciView(db, row.ciId!)).data.hostname).toBe('fail-4');
		} finally {
			await updateAttribute(db, { id: null, name: 'test' }, hostnameAttr.id, { unique: false });
		}
	});
});

const FAST = { reconnect: { baseMs: 200, capMs: 1500 }, heartbeatSeconds: 5 };

describe.each(kinds)('inventory from a real agent on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let groupId: number;
	const running: RunningAgent[] = [];

	const call = async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query') => {
		const r = await trpcCall(server.url, cookie, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const enrolled = async () => {
		const files = await enrollWithNewToken(server, cookie, groupId);
		const a = await call<{ deviceId: number; ciId: number }>('agents.get', { id: files.agentId });
		return { ...files, deviceId: a.deviceId, ciId: a.ciId };
	};
	type Inv = { receivedAt: string; source: string; sections: Record<string, { value: unknown }> } | null;
	const inventoryOf = (deviceId: number) => call<Inv>('inventory.get', { deviceId });
	type Ci = {
		version: number;
		relations: { id: number; domain: string; other: { name: string }; data: unknown }[];
	};
	/** What the CMDB holds about a device: any CMDB write on it shows in one of these. */
	const snapshot = async (ciId: number) => {
		const ci = await call<Ci>('cmdb.get', { id: ciId });
		const hist = await call<unknown[]>('cmdb.history', { id: ciId });
		return { version: ci.version, relations: ci.relations, history: hist.length };
	};

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		// 0.001 h: the first inventory comes within 3.6 s of the agent starting, then every 3.6 s
		server = await startServer({
			...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
			FLEETDESK_INVENTORY_INTERVAL_HOURS: '0.001'
		});
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		groupId = (await call<{ id: number }>('groups.create', { name: 'inv' }, 'mutation')).id;
	});
	afterAll(async () => {
		for (const a of running) await a.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('reports on schedule into the CMDB, writes nothing for an unchanged round, and runs on demand', async () => {
		const A = await enrolled();
		const agent = startAgent(A.dir, FAST);
		running.push(agent);
		await agent.waitFor(/inventory: sent full/, 15_000);
		const inv = await until(() => inventoryOf(A.deviceId), 15_000);
		expect(inv.source).toBe('agent');
		const software = inv.sections.software.value as { name: string }[];
		const network = inv.sections.network.value as unknown[];

		// the server's worker reconciles it shortly after the report is stored
		const ci = await until(async () => {
			const c = await call<Ci>('cmdb.get', { id: A.ciId });
			return c.relations.some((r) => r.domain === 'ItemStorage') ? c : null;
		}, 15_000);
		const count = (d: string) => ci.relations.filter((r) => r.domain === d).length;
		// this machine's own hardware and packages
		expect(count('ItemNetworkAdapters')).toBe(network.length);
		expect(count('ItemStorage')).toBeGreaterThan(0);
		if (software.length) expect(count('SoftwareInstallations')).toBeGreaterThan(0);

		// the next scheduled round finds nothing changed and the CMDB stays as it is
		const before = await snapshot(A.ciId);
		const from = agent.output().length;
		await agent.waitFor(/inventory: sent unchanged/, 15_000, from);
		await until(async () => (await inventoryOf(A.deviceId))!.receivedAt > inv.receivedAt, 10_000);
		expect(await snapshot(A.ciId)).toEqual(before);

		// "inventory now": a signed task, and its result says what was sent
		const r = await call<{ started: { deviceId: number; taskId: string }[] }>(
			'inventory.requestNow',
			{ deviceIds: [A.deviceId] },
			'mutation'
		);
		expect(r.started.map((s) => s.deviceId)).toEqual([A.deviceId]);
		const task = await until(async () => {
			const t = await call<{ state: string; result: { sent: string; sections: string[] } | null }>(
				'tasks.get',
				{
					id: r.started[0].taskId
				}
			);
			return t.state === 'succeeded' || t.state === 'failed' || t.state === 'refused' ? t : null;
		}, 20_000);
		expect(task.state).toBe('succeeded');
		expect(task.result).toMatchObject({ sent: 'unchanged', sections: [] });
		expect(await snapshot(A.ciId)).toEqual(before);
		// agent and server agree on every hash, and every value fitted the model
		const log = server.output();
		expect(log).not.toMatch(new RegExp(`agent ${A.agentId} (hashes|sent a delta)`));
		expect(log).not.toMatch(new RegExp(`inventory: .*\\(${A.agentId}\\):`));
		expect(log).not.toMatch(/could not be reconciled|reconciliation worker failed/);
	});

	it('refuses a zip bomb, a deep inventory and one for another agent over the link, changing nothing', async () => {
		const A = await enrolled();
		const B = await enrolled();
		const s: Socket = await rawLink(server.agentPort, B);
		try {
			expect(
				await s.emitWithAck('hello', {
					agentId: B.agentId,
					agentVersion: 'test',
					hostname: 'raw',
					os: { platform: 'linux', release: '6', arch: 'x64' },
					protocol: 1,
					dropped: 0
				})
			).toMatchObject({ ok: true, lastSeq: 0 });
			const good = planReport(sampleInventory(11), null, { trigger: 'schedule' }).body;
			const send = (agentId: string, body: unknown) =>
				s.emitWithAck('report', { agentId, seq: 1, kind: 'inventory', at: new Date().toISOString(), body });
			const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 }).toString('base64');
			const bombAck = await send(B.agentId, { ...good, sections: undefined, gz: bomb });
			expect(bombAck).toMatchObject({
				ok: false,
				retry: false,
				error: expect.stringMatching(/unpacks to more than 32 MiB/)
			});
			let deep: unknown = [];
			for (let i = 0; i < 2000; i++) deep = [deep];
			const deepAck = await send(B.agentId, { ...good, full: false, sections: { usb: deep } });
			expect(deepAck).toMatchObject({
				ok: false,
				retry: false,
				error: expect.stringMatching(/nested deeper/)
			});
			const otherAck = await send(A.agentId, good);
			expect(otherAck).toMatchObject({
				ok: false,
				retry: false,
				error: expect.stringMatching(/claims to come from agent/)
			});
			await until(async () => /unpacks to more than 32 MiB/.test(server.output()));

			expect(await inventoryOf(A.deviceId)).toBeNull();
			expect(await inventoryOf(B.deviceId)).toBeNull();
			expect((await call<{ lastSeq: number }>('agents.get', { id: B.agentId })).lastSeq).toBe(0);
			const ciA = await call<Ci>('cmdb.get', { id: A.ciId });
			expect(ciA.relations).toEqual([]);

			// the same link still takes a good one
			expect(await send(B.agentId, good)).toEqual({ ok: true, duplicate: false });
			expect((await inventoryOf(B.deviceId))!.sections.software.value).toEqual(sampleInventory(11).software);
		} finally {
			s.close();
		}
	});
});
