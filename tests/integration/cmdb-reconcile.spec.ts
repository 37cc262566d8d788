import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, desc, eq, sql } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import { queryRows, type Db } from '../../src/server/db/client';
import { cmdbCis, cmdbHistory } from '../../src/server/db/schema';
import { loadModel } from '../../src/server/cmdb/model';
import { updateAttribute } from '../../src/server/cmdb/model-attributes';
import { ciView, createCi, searchText, updateCi, type ChangeContext } from '../../src/server/cmdb/cis';
import { ciAt, relationsIn } from '../../src/server/cmdb/history';
import {
	reconcile,
	type DiscoveredChild,
	type DiscoveredRecord,
	type ReconcileSpec
} from '../../src/server/cmdb/reconcile';

const kinds = await dbKinds();
const inventory: ChangeContext = { actor: { id: null, name: 'inventory' }, source: 'inventory' };
const user: ChangeContext = { actor: { id: null, name: 'alice' }, source: 'user' };

function spec(over: Partial<ReconcileSpec> = {}): ReconcileSpec {
	return {
		class: 'Device',
		key: 'agentId',
		missing: 'flag',
		scope: 'class',
		children: [
			{ domain: 'ItemMemory', class: 'Memory', identify: ['slot'], missing: 'flag' },
			{ domain: 'ItemStorage', class: 'Storage', identify: ['devicePath'], missing: 'delete' },
			{ domain: 'ItemNetworkAdapters', class: 'NetworkAdapter', identify: ['macAddress'], missing: 'delete' },
			{
				domain: 'SoftwareInstallations',
				class: 'SoftwareProduct',
				identify: ['name', 'productVersion'],
				missing: 'delete'
			}
		],
		...over
	};
}

const memory = (slot: string, mb = 8192): DiscoveredChild => ({
	name: `${slot} ${mb / 1024} GB`,
	data: { slot, capacityMb: mb, memoryType: 'DDR4' }
});
const software = (name: string, version: string, installDate = '2026-01-10'): DiscoveredChild => ({
	name,
	data: { productVersion: version, vendor: 'Debian' },
	relationData: { installDate }
});

/** A discovered server; `n` makes MAC addresses unique per server. */
function server(agentId: string, n: number, over: Partial<DiscoveredRecord> = {}): DiscoveredRecord {
	return {
		key: agentId,
		name: `srv-${agentId}`,
		data: { hostname: 'web', os: 'Debian 12', cpu: 'EPYC 7763', ramMb: 16384, managementIp: `10.0.0.${n}` },
		children: {
			ItemMemory: [memory('DIMM0'), memory('DIMM1')],
			ItemStorage: [{ name: 'sda', data: { devicePath: '/dev/sda', capacityGb: 480, storageType: 'SSD' } }],
			ItemNetworkAdapters: [
				{
					name: 'eth0',
					data: { macAddress: `02:00:00:00:00:${String(n).padStart(2, '0')}`, interfaceName: 'eth0' }
				}
			],
			SoftwareInstallations: [
				software('openssl', '3.0.15'),
				software('nginx', '1.22.1'),
				software(`tool-${agentId}`, '1.0')
			]
		},
		...over
	};
}

describe.each(kinds)('CMDB reconciliation on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	/** What each agent reported last; a test that changes a report stores it here for the next tests. */
	const reports = new Map<string, DiscoveredRecord>();
	const report = (key: string, n: number) => structuredClone(reports.get(key) ?? server(key, n));
	const both = () => [report('agent-1', 1), report('agent-2', 2)];

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
	});
	afterAll(() => database.dispose());

	/** Everything reconciliation may write, fingerprinted: history rows, and every CI and relation row. */
	async function snapshot() {
		const [r] = await queryRows<{ history: number; cis: string; rels: string }>(
			db,
			sql`select (select count(*)::int from cmdb_history) as history,
				(select md5(coalesce(string_agg(c::text, '|' order by c.id), '')) from cmdb_cis c) as cis,
				(select md5(coalesce(string_agg(r::text, '|' order by r.id), '')) from cmdb_relations r) as rels`
		);
		return r;
	}
	async function counts() {
		const [r] = await queryRows<{ cis: number; rels: number; history: number }>(
			db,
			sql`select (select count(*)::int from cmdb_cis) as cis, (select count(*)::int from cmdb_relations) as rels,
				(select count(*)::int from cmdb_history) as history`
		);
		return r;
	}
	async function device(agentId: string) {
		const [row] = await db
			.select()
			.from(cmdbCis)
			.where(sql`${cmdbCis.data}->>'agentId' = ${agentId}`);
		return row;
	}
	async function lastHistory(ciId: number) {
		const [h] = await db
			.select()
			.from(cmdbHistory)
			.where(eq(cmdbHistory.ciId, ciId))
			.orderBy(desc(cmdbHistory.id))
			.limit(1);
		return h;
	}
	const children = async (id: number, domain: string) =>
		(await ciView(db, id)).relations.filter((r) => r.domain === domain).map((r) => r.other);

	it('refuses keys that are not stable identities', async () => {
		await expect(reconcile(db, inventory, spec({ key: 'hostname' }), [])).rejects.toThrow(/host names, MAC/);
		await expect(
			reconcile(db, inventory, { class: 'NetworkAdapter', key: 'macAddress', missing: 'ignore' }, [])
		).rejects.toThrow(/host names, MAC/);
		await expect(reconcile(db, inventory, spec({ key: 'os' }), [])).rejects.toThrow(/not unique/);
		await expect(
			reconcile(
				db,
				inventory,
				spec({ children: [{ domain: 'ItemMemory', class: 'Monitor', identify: ['slot'], missing: 'flag' }] }),
				[]
			)
		).rejects.toThrow(/does not link Device and Monitor/);
	});

	it('inserts CIs, children and relations on the first pass, with rows written counted exactly', async () => {
		const before = await counts();
		const r = await reconcile(db, inventory, spec(), [server('agent-1', 1), server('agent-2', 2)]);
		expect(r.errors).toEqual([]);
		expect(r).toMatchObject({ inserted: 2, updated: 0, unchanged: 0, missing: 0, deleted: 0, found: 0 });
		// 2 × (2 memory + 1 disk + 1 NIC) owned children, plus 4 software products: openssl and nginx are shared.
		expect(r.children).toMatchObject({ inserted: 12, related: 14, unrelated: 0 });
		const after = await counts();
		expect(after.cis - before.cis).toBe(2 + 12);
		expect(after.rels - before.rels).toBe(14);
		// create entries for 14 CIs, and one relate entry per CI listing its new relations: 2 computers, their
		// 8 own children, 4 software products
		expect(after.history - before.history).toBe(14 + 14);
		expect(r.rowsWritten).toBe(
			after.cis - before.cis + after.rels - before.rels + after.history - before.history
		);

		const a1 = await device('agent-1');
		expect(a1).toMatchObject({ name: 'srv-agent-1', classId: (await loadModel(db)).cls('Device').id });
		expect(a1.data).toMatchObject({
			agentId: 'agent-1',
			os: 'Debian 12',
			status: 'in use',
			deviceType: 'server'
		});
		expect((await lastHistory(a1.id)).source).toBe('inventory');
		expect((await children(a1.id, 'ItemMemory')).map((c) => c.name).sort()).toEqual([
			'DIMM0 8 GB',
			'DIMM1 8 GB'
		]);
		const view = await ciView(db, a1.id);
		const install = view.relations.find(
			(x) => x.domain === 'SoftwareInstallations' && x.other.name === 'openssl'
		);
		expect(install).toMatchObject({ side: 'target', data: { installDate: '2026-01-10' } });
		// History names every relation it made: the CI as it was at any moment has its relations.
		const past = await ciAt(db, a1.id, {});
		expect(past.relations.map((x) => x.otherName).sort()).toEqual(
			view.relations.map((x) => x.other.name).sort()
		);
		expect(past.data).toEqual(a1.data);
		// The search column is computed exactly as createCi computes it.
		const m = await loadModel(db);
		const [same] = await queryRows<{ ok: boolean }>(
			db,
			sql`select search = to_tsvector('simple', ${searchText(m.cls('Device'), a1.name, a1.data)}) as ok
				from cmdb_cis where id = ${a1.id}`
		);
		expect(same.ok).toBe(true);
	});

	it('lists the relations of a pass in one history entry per CI: values on the computer, computers on the product', async () => {
		const a1 = await device('agent-1');
		const relate = (ciId: number) =>
			db
				.select()
				.from(cmdbHistory)
				.where(and(eq(cmdbHistory.ciId, ciId), eq(cmdbHistory.op, 'relate')));
		const [entry, ...more] = await relate(a1.id);
		expect(more).toEqual([]);
		expect(entry).toMatchObject({ source: 'inventory', state: null, relation: null });
		const installed = entry.changes.SoftwareInstallations as [null, Record<string, unknown>];
		expect(installed[0]).toBeNull();
		expect(installed[1]).toMatchObject({ label: 'has installed' });
		expect(installed[1].relations).toContainEqual(
			expect.objectContaining({ otherName: 'openssl', data: { installDate: '2026-01-10' } })
		);
		expect(
			relationsIn(entry)
				.map((x) => x.otherName)
				.sort()
		).toEqual(['DIMM0 8 GB', 'DIMM1 8 GB', 'eth0', 'nginx', 'openssl', 'sda', 'tool-agent-1'].sort());
		const openssl = (await ciView(db, a1.id)).relations.find((x) => x.other.name === 'openssl')!;
		const onProduct = await relate(openssl.other.id);
		expect(onProduct).toHaveLength(1);
		expect(relationsIn(onProduct[0]).map((x) => [x.label, x.otherName])).toEqual([
			['is installed on', 'srv-agent-1'],
			['is installed on', 'srv-agent-2']
		]);
	});

	it('writes nothing at all when the same batch comes again', async () => {
		const before = await snapshot();
		const r = await reconcile(db, inventory, spec(), [server('agent-1', 1), server('agent-2', 2)]);
		expect(r.errors).toEqual([]);
		expect(r).toMatchObject({ inserted: 0, updated: 0, unchanged: 2, rowsWritten: 0 });
		expect(r.children).toMatchObject({ inserted: 0, updated: 0, related: 0, unrelated: 0, unchanged: 14 });
		expect(await snapshot()).toEqual(before);
	});

	it('records a changed field as one update from inventory', async () => {
		const a1 = await device('agent-1');
		const rec = report('agent-1', 1);
		rec.data = { ...rec.data, os: 'Debian 13' };
		reports.set('agent-1', rec);
		const before = await counts();
		const r = await reconcile(db, inventory, spec(), both());
		expect(r).toMatchObject({ updated: 1, unchanged: 1, rowsWritten: 2 });
		expect((await counts()).history - before.history).toBe(1);
		const h = await lastHistory(a1.id);
		expect(h).toMatchObject({
			op: 'update',
			source: 'inventory',
			changes: { os: ['Debian 12', 'Debian 13'] }
		});
		expect(h.version).toBe(a1.version + 1);
		expect((await device('agent-1')).data.os).toBe('Debian 13');
	});

	it('keeps a hand-edited field when its policy is protect, and overwrites it when it is overwrite', async () => {
		const a1 = await device('agent-1');
		await updateCi(db, user, { id: a1.id, data: { cpu: 'EPYC (checked by hand)' }, name: 'web-1 (rack 4)' });
		const before = await snapshot();
		const r = await reconcile(db, inventory, spec(), both());
		expect(r).toMatchObject({ unchanged: 2, rowsWritten: 0 });
		expect(await snapshot()).toEqual(before);
		expect(await device('agent-1')).toMatchObject({
			name: 'web-1 (rack 4)',
			data: { cpu: 'EPYC (checked by hand)' }
		});

		const cpu = (await loadModel(db)).attr((await loadModel(db)).cls('Device'), 'cpu')!;
		await updateAttribute(db, user.actor, cpu.id, { manualPolicy: 'overwrite' });
		const r2 = await reconcile(db, inventory, spec(), both());
		expect(r2).toMatchObject({ updated: 1, rowsWritten: 2 });
		const after = await device('agent-1');
		expect(after.data.cpu).toBe('EPYC 7763');
		expect(after.name).toBe('web-1 (rack 4)'); // the name stays protected
		expect(await lastHistory(a1.id)).toMatchObject({
			op: 'update',
			source: 'inventory',
			changes: { cpu: ['EPYC (checked by hand)', 'EPYC 7763'] }
		});
		await updateAttribute(db, user.actor, cpu.id, { manualPolicy: 'protect' });
	});

	it('flags a computer missing from a full sweep, once, and records it found when it is back', async () => {
		const a2 = await device('agent-2');
		const r = await reconcile(db, inventory, spec(), [report('agent-1', 1)]);
		expect(r).toMatchObject({ missing: 1, deleted: 0, unchanged: 1, rowsWritten: 2 });
		const flagged = await device('agent-2');
		expect(flagged.missingSince).toBeInstanceOf(Date);
		expect(await lastHistory(a2.id)).toMatchObject({ op: 'missing', source: 'inventory' });
		// Its children are left as they were: nothing is known about a computer that did not report.
		expect(await children(a2.id, 'ItemMemory')).toHaveLength(2);

		const before = await snapshot();
		const again = await reconcile(db, inventory, spec(), [report('agent-1', 1)]);
		expect(again).toMatchObject({ missing: 0, rowsWritten: 0 });
		expect(await snapshot()).toEqual(before);

		// An agent's own report (scope: the batch) never flags the others.
		const one = await reconcile(db, inventory, spec({ scope: undefined }), [report('agent-1', 1)]);
		expect(one).toMatchObject({ missing: 0, rowsWritten: 0 });

		const back = await reconcile(db, inventory, spec(), both());
		expect(back).toMatchObject({ found: 1, missing: 0, rowsWritten: 2 });
		expect((await device('agent-2')).missingSince).toBeNull();
		expect(await lastHistory(a2.id)).toMatchObject({ op: 'found', source: 'inventory' });
	});

	it('flags a removed memory module and removes its relation; deletes a removed disk', async () => {
		const a1 = await device('agent-1');
		const [dimm1] = (await children(a1.id, 'ItemMemory')).filter((c) => c.name.startsWith('DIMM1'));
		const [sda] = await children(a1.id, 'ItemStorage');
		const rec = report('agent-1', 1);
		rec.children!.ItemMemory = [memory('DIMM0')];
		rec.children!.ItemStorage = [
			{ name: 'nvme0n1', data: { devicePath: '/dev/nvme0n1', storageType: 'NVMe' } }
		];
		reports.set('agent-1', rec);
		const r = await reconcile(db, inventory, spec(), both());
		expect(r.errors).toEqual([]);
		expect(r).toMatchObject({ updated: 1, unchanged: 1 });
		expect(r.children).toMatchObject({ missing: 1, deleted: 1, inserted: 1, related: 1, unrelated: 1 });
		const memoryCi = await db.select().from(cmdbCis).where(eq(cmdbCis.id, dimm1.id));
		expect(memoryCi[0].missingSince).toBeInstanceOf(Date);
		expect(await lastHistory(dimm1.id)).toMatchObject({ op: 'missing' });
		expect((await children(a1.id, 'ItemMemory')).map((c) => c.id)).not.toContain(dimm1.id);
		expect(await db.select().from(cmdbCis).where(eq(cmdbCis.id, sda.id))).toEqual([]);
		expect((await children(a1.id, 'ItemStorage')).map((c) => c.name)).toEqual(['nvme0n1']);
		const h = await db
			.select()
			.from(cmdbHistory)
			.where(and(eq(cmdbHistory.ciId, a1.id), eq(cmdbHistory.op, 'unrelate')));
		expect(h.flatMap((e) => relationsIn(e).map((x) => x.otherName)).sort()).toEqual(['DIMM1 8 GB', 'sda']);
		// The next identical report changes nothing.
		const before = await snapshot();
		expect(await reconcile(db, inventory, spec(), both())).toMatchObject({ rowsWritten: 0, unchanged: 2 });
		expect(await snapshot()).toEqual(before);
	});

	it('shares software products between computers; uninstalling removes only the relation', async () => {
		const a1 = await device('agent-1');
		const a2 = await device('agent-2');
		const products = await queryRows<{ id: number; name: string }>(
			db,
			sql`select id, name from cmdb_cis where class_id = ${(await loadModel(db)).cls('SoftwareProduct').id} order by name`
		);
		expect(products.map((p) => p.name)).toEqual(['nginx', 'openssl', 'tool-agent-1', 'tool-agent-2']);
		const openssl = products.find((p) => p.name === 'openssl')!;
		expect((await children(a1.id, 'SoftwareInstallations')).map((c) => c.id)).toContain(openssl.id);
		expect((await children(a2.id, 'SoftwareInstallations')).map((c) => c.id)).toContain(openssl.id);

		const rec = report('agent-1', 1);
		rec.children!.SoftwareInstallations = [
			software('nginx', '1.22.1', '2026-02-01'), // relation value changed
			software('tool-agent-1', '1.0'),
			software('openssl', '3.0.16') // a new version is a new product
		];
		reports.set('agent-1', rec);
		const r = await reconcile(db, inventory, spec(), both());
		expect(r.errors).toEqual([]);
		expect(r).toMatchObject({ updated: 1, unchanged: 1 });
		expect(r.children).toMatchObject({
			inserted: 1,
			related: 1,
			unrelated: 1,
			relationsUpdated: 1,
			missing: 0,
			deleted: 0
		});
		expect(await db.select().from(cmdbCis).where(eq(cmdbCis.id, openssl.id))).toHaveLength(1);
		expect((await children(a1.id, 'SoftwareInstallations')).map((c) => c.name).sort()).toEqual([
			'nginx',
			'openssl',
			'tool-agent-1'
		]);
		expect((await children(a1.id, 'SoftwareInstallations')).map((c) => c.id)).not.toContain(openssl.id);
		expect((await children(a2.id, 'SoftwareInstallations')).map((c) => c.id)).toContain(openssl.id);
		const nginx = (await ciView(db, a1.id)).relations.find((x) => x.other.name === 'nginx')!;
		expect(nginx.data).toEqual({ installDate: '2026-02-01' });
		// The changed value is in the history of both CIs, before and after.
		for (const ciId of [a1.id, nginx.other.id]) {
			const upd = await lastHistory(ciId);
			expect(upd).toMatchObject({ op: 'update', state: null, relation: null });
			const [before, after] = upd.changes.SoftwareInstallations as { relations: unknown[] }[];
			expect(before.relations).toEqual([
				expect.objectContaining({ id: nginx.id, data: { installDate: '2026-01-10' } })
			]);
			expect(after.relations).toEqual([
				expect.objectContaining({ id: nginx.id, data: { installDate: '2026-02-01' } })
			]);
		}
		// The shared product appears once, however many computers have it.
		const [{ n }] = await queryRows<{ n: number }>(
			db,
			sql`select count(*)::int as n from cmdb_cis where name = 'openssl' and data->>'productVersion' = '3.0.15'`
		);
		expect(n).toBe(1);
	});

	it('matches by key, never by host name: the same host name on two agents is two CIs', async () => {
		const r = await reconcile(db, inventory, spec({ scope: undefined }), [
			server('agent-3', 3, { name: 'db' }),
			server('agent-4', 4, { name: 'db' })
		]);
		expect(r.errors).toEqual([]);
		expect(r.inserted).toBe(2);
		const a3 = await device('agent-3');
		const a4 = await device('agent-4');
		expect(a3.id).not.toBe(a4.id);
		expect(a3.data.hostname).toBe(a4.data.hostname);
		// And the key matches regardless of case, like the unique check.
		const again = await reconcile(db, inventory, spec({ scope: undefined }), [
			{ ...server('agent-3', 3, { name: 'db' }), key: 'AGENT-3' }
		]);
		expect(again).toMatchObject({ inserted: 0, unchanged: 1, rowsWritten: 0 });
	});

	it('creates a new shared product once, across chunks and across concurrent reports', async () => {
		const withProduct = (key: string, n: number, product: string) => {
			const r = report(key, n);
			r.children!.SoftwareInstallations = [...r.children!.SoftwareInstallations, software(product, '8.0')];
			return r;
		};
		const r = await reconcile(
			db,
			inventory,
			spec({ scope: undefined }),
			[withProduct('agent-3', 3, 'curl'), withProduct('agent-4', 4, 'curl')],
			{ chunkRecords: 1 }
		);
		expect(r.errors).toEqual([]);
		expect(r.children).toMatchObject({ inserted: 1, related: 2 });
		const [a, b] = await Promise.all([
			reconcile(db, inventory, spec({ scope: undefined }), [withProduct('agent-3', 3, 'htop')]),
			reconcile(db, inventory, spec({ scope: undefined }), [withProduct('agent-4', 4, 'htop')])
		]);
		expect([...a.errors, ...b.errors]).toEqual([]);
		expect(a.children.inserted + b.children.inserted).toBe(1);
		const rows = await queryRows<{ name: string; n: number }>(
			db,
			sql`select name, count(*)::int as n from cmdb_cis where name in ('curl', 'htop') group by name order by name`
		);
		expect(rows).toEqual([
			{ name: 'curl', n: 1 },
			{ name: 'htop', n: 1 }
		]);
	});

	it('reports bad values by key and field, and applies the other records', async () => {
		const bad = server('agent-5', 5);
		bad.data = { ...bad.data, ramMb: 'lots' };
		const badChild = server('agent-3', 3, { name: 'db' });
		badChild.children!.ItemMemory = [
			memory('DIMM0'),
			{ name: 'DIMM9', data: { slot: 'DIMM9', capacityMb: 'big' } }
		];
		badChild.children!.ItemNetworkAdapters = [];
		const taken = server('agent-6', 6);
		const other = await createCi(db, user, { class: 'Monitor', name: 'screen', data: { assetTag: 'TAG-1' } });
		taken.data = { ...taken.data, assetTag: 'tag-1' };
		const r = await reconcile(db, inventory, spec({ scope: undefined }), [
			bad,
			badChild,
			taken,
			server('agent-7', 7),
			{ key: '', name: 'no key' }
		]);
		expect(r.errors).toEqual(
			expect.arrayContaining([
				{ key: 'agent-5', field: 'ramMb', message: expect.stringMatching(/whole number/) },
				{ key: 'agent-3', field: 'ItemMemory[1].capacityMb', message: expect.stringMatching(/whole number/) },
				{ key: 'agent-6', field: 'assetTag', message: expect.stringContaining(`screen (#${other.id})`) },
				{ key: '', field: 'agentId', message: expect.any(String) }
			])
		);
		expect(r.errors).toHaveLength(4);
		expect(r.inserted).toBe(1);
		expect(await device('agent-5')).toBeUndefined();
		expect(await device('agent-6')).toBeUndefined();
		expect(await device('agent-7')).toBeDefined();
		// agent-3's other changes went through (its NIC is gone), but with a bad memory record nothing is
		// concluded about its memory: both modules stay.
		const a3 = await device('agent-3');
		expect(await children(a3.id, 'ItemNetworkAdapters')).toEqual([]);
		expect(await children(a3.id, 'ItemMemory')).toHaveLength(2);
	});

	it('retries a chunk record by record when the database refuses a write, losing only that record', async () => {
		// A constraint reconcile() knows nothing about stands in for any unforeseen database error.
		await db.execute(sql`alter table cmdb_cis add constraint test_no_evil check (name <> 'evil')`);
		try {
			const evil = server('agent-8', 8);
			evil.children!.ItemMemory = [{ name: 'evil', data: { slot: 'DIMM0' } }];
			const before = await counts();
			const r = await reconcile(db, inventory, spec({ scope: undefined }), [evil, server('agent-9', 9)]);
			expect(r.errors).toEqual([
				{
					key: 'agent-8',
					message: expect.stringMatching(/^The database refused this record: .*test_no_evil/)
				}
			]);
			expect(r.inserted).toBe(1);
			expect(await device('agent-8')).toBeUndefined();
			expect(await device('agent-9')).toBeDefined();
			// Nothing of agent-8 was half-written, and the rows counted are the rows there.
			expect(r.rowsWritten).toBe(
				(await counts()).cis -
					before.cis +
					((await counts()).rels - before.rels) +
					((await counts()).history - before.history)
			);
		} finally {
			await db.execute(sql`alter table cmdb_cis drop constraint test_no_evil`);
		}
	});

	it('deletes a computer missing from the batch under the delete policy, with its own children', async () => {
		const a2 = await device('agent-2');
		const mem = await children(a2.id, 'ItemMemory');
		const [nic] = await children(a2.id, 'ItemNetworkAdapters');
		const keep = ['agent-1', 'agent-3', 'agent-4', 'agent-7'];
		const r = await reconcile(
			db,
			inventory,
			spec({ missing: 'delete', scope: { keys: ['agent-2', ...keep] } }),
			keep.map((k, i) => report(k, i + 1))
		);
		expect(r.errors).toEqual([]);
		expect(r).toMatchObject({ deleted: 1, missing: 0 });
		expect(await device('agent-2')).toBeUndefined();
		expect(await lastHistory(a2.id)).toMatchObject({ op: 'delete', source: 'inventory' });
		// Memory (policy flag) stays, flagged; the NIC (policy delete) is gone; shared software stays.
		for (const m of mem)
			expect((await db.select().from(cmdbCis).where(eq(cmdbCis.id, m.id)))[0].missingSince).toBeInstanceOf(
				Date
			);
		expect(await db.select().from(cmdbCis).where(eq(cmdbCis.id, nic.id))).toEqual([]);
		const [{ n }] = await queryRows<{ n: number }>(
			db,
			sql`select count(*)::int as n from cmdb_cis where name = 'tool-agent-2'`
		);
		expect(n).toBe(1);
		// A CI entered by hand without a key is never considered missing.
		const manual = await createCi(db, user, { class: 'Device', name: 'hand-made' });
		await reconcile(
			db,
			inventory,
			spec({ missing: 'delete' }),
			keep.map((k, i) => server(k, i + 1))
		);
		expect(await db.select().from(cmdbCis).where(eq(cmdbCis.id, manual.id))).toHaveLength(1);
	});

	it('un-flags a CI that comes back through another source (csv)', async () => {
		const csv: ChangeContext = { actor: { id: null, name: 'bob' }, source: 'csv' };
		const r = await reconcile(db, inventory, spec({ children: [] }), [report('agent-1', 1)]);
		expect(r.missing).toBeGreaterThan(0);
		const a3 = await device('agent-3');
		expect(a3.missingSince).toBeInstanceOf(Date);
		const back = await reconcile(db, csv, spec({ children: [], scope: undefined }), [
			{ key: 'agent-3', name: a3.name, data: {} }
		]);
		expect(back).toMatchObject({ found: 1, rowsWritten: 2 });
		expect((await device('agent-3')).missingSince).toBeNull();
		expect(await lastHistory(a3.id)).toMatchObject({ op: 'found', source: 'csv' });
	});
});
