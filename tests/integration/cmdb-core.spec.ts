import { describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { dbKinds } from '../helpers/db';
import { actor, rejects, useTestDb, user } from '../helpers/cmdb';
import type { Db } from '../../src/server/db/client';
import { cmdbCis, cmdbHistory } from '../../src/server/db/schema';
import { loadModel } from '../../src/server/cmdb/model';
import { addAttribute, removeAttribute, updateAttribute } from '../../src/server/cmdb/model-attributes';
import { createClass, deleteClass, updateClass } from '../../src/server/cmdb/model-classes';
import { createDomain } from '../../src/server/cmdb/model-domains';
import { ciView, createCi, deleteCi, updateCi } from '../../src/server/cmdb/cis';
import { ciAt, diffVersions, history } from '../../src/server/cmdb/history';
import { relate, unrelate } from '../../src/server/cmdb/relations';
import { COUNT_AHEAD, listCis } from '../../src/server/cmdb/query';
import { exportCsv } from '../../src/server/cmdb/export';
import { impactGraph } from '../../src/server/cmdb/impact';
import { DEFAULT_CLASSES, DEFAULT_DOMAINS } from '../../src/server/cmdb/seed';

const kinds = await dbKinds();
describe.each(kinds)('CMDB core on %s', (kind) => {
	let db: Db;
	useTestDb(kind, (d) => {
		db = d;
	});

	it('seeds the default model with every listed class and relation', async () => {
		const m = await loadModel(db);
		for (const c of DEFAULT_CLASSES) expect(m.findClass(c.name), c.name).toBeDefined();
		for (const d of DEFAULT_DOMAINS) expect(m.findDomain(d.name), d.name).toBeDefined();
		expect(m.cls('Item').abstract).toBe(true);
		// Inheritance: a Computer has the Item attributes and its own.
		const names = m.cls('Computer').attributes.map((a) => a.name);
		expect(names).toEqual(expect.arrayContaining(['assetTag', 'status', 'hostname', 'ramMb']));
	});

	it('validates values and names the field and rule', async () => {
		const msg = await rejects(
			createCi(db, user, {
				class: 'Computer',
				name: 'pc-1',
				data: { ramMb: 'lots', ipAddress: '10.0.0.300', bogus: 1 }
			})
		);
		expect(msg).toContain('ramMb: must be a whole number');
		expect(msg).toContain('ipAddress: must be an IPv4 or IPv6 address');
		expect(msg).toContain('bogus: Computer has no attribute "bogus"');
		expect(await rejects(createCi(db, user, { class: 'Item', name: 'x' }))).toMatch(/abstract/);
		expect(await rejects(createCi(db, user, { class: 'Nope', name: 'x' }))).toMatch(/no class "Nope"/);
	});

	it('creates, updates, queries through a superclass, and enforces unique values', async () => {
		const pc = await createCi(db, user, {
			class: 'Computer',
			name: 'pc-1',
			data: { assetTag: 'A-1', ramMb: 8192, os: 'Debian 12', macAddress: 'AA-BB-CC-DD-EE-FF' }
		});
		expect(pc.data).toMatchObject({ status: 'in use', macAddress: 'aa:bb:cc:dd:ee:ff' });
		await createCi(db, user, { class: 'Printer', name: 'printer-1', data: { assetTag: 'A-2' } });
		const dup = await rejects(createCi(db, user, { class: 'Monitor', name: 'm', data: { assetTag: 'a-1' } }));
		expect(dup).toContain('assetTag: must be unique');

		const items = await listCis(db, { class: 'Item' });
		expect(items.items.map((i) => i.name).sort()).toEqual(['pc-1', 'printer-1']);
		const found = await listCis(db, { q: 'class:Computer os~debian ram>=8192'.replace('ram', 'ramMb') });
		expect(found.items.map((i) => i.name)).toEqual(['pc-1']);
		expect((await listCis(db, { q: 'class:Computer ramMb>8192' })).total).toBe(0);
		expect((await listCis(db, { q: 'debi' })).items.map((i) => i.name)).toEqual(['pc-1']);
		expect(await rejects(listCis(db, { q: 'class:Computer colour=yes' }))).toMatch(
			/Unknown attribute "colour"/
		);

		const r = await updateCi(db, { ...user, message: 'more RAM' }, { id: pc.id, data: { ramMb: 16384 } });
		expect(r.changed).toBe(true);
		expect(r.ci.version).toBe(2);
		// An update that changes nothing writes nothing.
		const before = await db.select({ n: sql<number>`count(*)::int` }).from(cmdbHistory);
		const same = await updateCi(db, user, { id: pc.id, data: { ramMb: '16384' } });
		expect(same.changed).toBe(false);
		expect(await db.select({ n: sql<number>`count(*)::int` }).from(cmdbHistory)).toEqual(before);
		// A stale editor is refused instead of silently overwriting.
		expect(await rejects(updateCi(db, user, { id: pc.id, data: { os: 'x' }, expectedVersion: 1 }))).toMatch(
			/changed by someone else/
		);
	});

	it('keeps full history: point in time and diffs', async () => {
		const [pc] = await db.select().from(cmdbCis).where(eq(cmdbCis.name, 'pc-1'));
		const h = await history(db, pc.id);
		expect(h.map((e) => e.op)).toEqual(['update', 'create']);
		expect(h[0]).toMatchObject({
			actorName: 'tester',
			source: 'user',
			message: 'more RAM',
			changes: { ramMb: [8192, 16384] }
		});
		const v1 = await ciAt(db, pc.id, { version: 1 });
		expect(v1.data.ramMb).toBe(8192);
		const atCreate = await ciAt(db, pc.id, { time: h[1].at });
		expect(atCreate.version).toBe(1);
		expect((await diffVersions(db, pc.id, 1, 2)).changes).toEqual({ ramMb: [8192, 16384] });
	});

	it('requires a change message when the class says so', async () => {
		const m = await loadModel(db);
		await updateClass(db, actor, m.cls('Printer').id, { requireChangeMessage: true });
		const [p] = await db.select().from(cmdbCis).where(eq(cmdbCis.name, 'printer-1'));
		expect(await rejects(updateCi(db, user, { id: p.id, data: { colour: true } }))).toMatch(
			/need a change message/
		);
		await updateCi(db, user, { id: p.id, data: { colour: true }, message: 'checked on site' });
	});

	it('relates CIs with cardinality and containment checks, and records both sides', async () => {
		const b = await createCi(db, user, { class: 'Building', name: 'HQ' });
		const f = await createCi(db, user, { class: 'Floor', name: 'HQ-1' });
		const r = await createCi(db, user, { class: 'Room', name: 'Server room' });
		const r2 = await createCi(db, user, { class: 'Room', name: 'Office' });
		await relate(db, user, { domain: 'BuildingFloors', sourceId: b.id, targetId: f.id });
		await relate(db, user, { domain: 'FloorRooms', sourceId: f.id, targetId: r.id });
		const [pc] = await db.select().from(cmdbCis).where(eq(cmdbCis.name, 'pc-1'));
		await relate(db, user, { domain: 'RoomItems', sourceId: r.id, targetId: pc.id });
		// 1:N: the computer is already in a room.
		expect(
			await rejects(relate(db, user, { domain: 'RoomItems', sourceId: r2.id, targetId: pc.id }))
		).toMatch(/1:N/);
		// Wrong classes.
		expect(
			await rejects(relate(db, user, { domain: 'BuildingFloors', sourceId: r.id, targetId: f.id }))
		).toMatch(/goes from a Building/);
		const view = await ciView(db, pc.id);
		expect(view.relations).toMatchObject([{ label: 'is in', other: { name: 'Server room' } }]);
		const rh = await history(db, r.id);
		expect(rh[0]).toMatchObject({ op: 'relate', relation: { label: 'contains', otherName: 'pc-1' } });
	});

	it('refuses containment cycles', async () => {
		await createClass(db, actor, { name: 'Rack' });
		const m = await loadModel(db);
		void m;
		await createDomain(db, actor, {
			name: 'RackNesting',
			source: 'Rack',
			target: 'Rack',
			cardinality: '1:N',
			forwardLabel: 'holds',
			reverseLabel: 'is held by',
			containment: true
		});
		const a = await createCi(db, user, { class: 'Rack', name: 'rack-a' });
		const b = await createCi(db, user, { class: 'Rack', name: 'rack-b' });
		const c = await createCi(db, user, { class: 'Rack', name: 'rack-c' });
		await relate(db, user, { domain: 'RackNesting', sourceId: a.id, targetId: b.id });
		await relate(db, user, { domain: 'RackNesting', sourceId: b.id, targetId: c.id });
		expect(
			await rejects(relate(db, user, { domain: 'RackNesting', sourceId: c.id, targetId: a.id }))
		).toMatch(/containment cycle/);
	});

	it('shows the impact of a failing storage on computers and rooms', async () => {
		const [pc] = await db.select().from(cmdbCis).where(eq(cmdbCis.name, 'pc-1'));
		const disk = await createCi(db, user, { class: 'Storage', name: 'disk-1', data: { storageType: 'ssd' } });
		expect(disk.data.storageType).toBe('SSD');
		await relate(db, user, { domain: 'ItemStorage', sourceId: pc.id, targetId: disk.id });
		const g = await impactGraph(db, disk.id, 4);
		const affected = g.nodes.filter((n) => n.level > 0).map((n) => n.name);
		expect(affected).toEqual(expect.arrayContaining(['pc-1', 'Server room', 'HQ-1', 'HQ']));
		const up = await impactGraph(db, pc.id, 1);
		expect(up.nodes.filter((n) => n.level < 0).map((n) => n.name)).toEqual(['disk-1']);
	});

	it('changes the model with data in place and never loses values', async () => {
		const m = await loadModel(db);
		const computer = m.cls('Computer');
		// A new required attribute needs a default when CIs exist; they all get it.
		expect(
			await rejects(
				addAttribute(db, actor, { classId: computer.id }, { name: 'site', type: 'text', required: true })
			)
		).toMatch(/default value/);
		await addAttribute(
			db,
			actor,
			{ classId: computer.id },
			{ name: 'site', type: 'text', required: true, defaultValue: 'HQ' }
		);
		const [pc] = await db.select().from(cmdbCis).where(eq(cmdbCis.name, 'pc-1'));
		expect(pc.data.site).toBe('HQ');
		// A type change converts values or names the one that can't be.
		const site = (await loadModel(db)).attr((await loadModel(db)).cls('Computer'), 'site')!;
		expect(
			await rejects(updateAttribute(db, actor, site.id, { type: 'integer', defaultValue: null }))
		).toMatch(/Can't change site: the value of CI #\d+ would have to be a whole number/);
		// Removing an attribute that has values asks for confirmation and keeps them in history.
		expect(await rejects(removeAttribute(db, actor, site.id))).toMatch(/Confirm/);
		const res = await removeAttribute(db, actor, site.id, true);
		expect(res.valuesKept).toBeGreaterThan(0);
		const [after] = await db.select().from(cmdbCis).where(eq(cmdbCis.id, pc.id));
		expect(after.data.site).toBeUndefined();
		const h = await history(db, pc.id);
		expect(h[0].changes).toEqual({ site: ['HQ', null] });
		expect((await ciAt(db, pc.id, { version: after.version - 1 })).data.site).toBe('HQ');
		// Rename carries the values along.
		const ram = (await loadModel(db)).attr((await loadModel(db)).cls('Computer'), 'ramMb')!;
		await updateAttribute(db, actor, ram.id, { name: 'memoryMb' });
		const [renamed] = await db.select().from(cmdbCis).where(eq(cmdbCis.id, pc.id));
		expect(renamed.data.memoryMb).toBe(16384);
		// A class with CIs can't be deleted.
		expect(await rejects(deleteClass(db, actor, computer.id))).toMatch(/CI/);
	});

	it('deletes a CI, its relations, and keeps its history', async () => {
		const x = await createCi(db, user, { class: 'Monitor', name: 'mon-x' });
		const [pc] = await db.select().from(cmdbCis).where(eq(cmdbCis.name, 'pc-1'));
		const rel = await relate(db, user, { domain: 'ComputerMonitors', sourceId: pc.id, targetId: x.id });
		await unrelate(db, user, rel);
		await relate(db, user, { domain: 'ComputerMonitors', sourceId: pc.id, targetId: x.id });
		await deleteCi(db, user, x.id);
		expect(await rejects(ciView(db, x.id))).toMatch(/no CI/);
		const h = await history(db, x.id);
		expect(h[0].op).toBe('delete');
		expect((await ciView(db, pc.id)).relations.some((r) => r.other.name === 'mon-x')).toBe(false);
	});
});

describe.each(kinds)('counting long lists on %s', (kind) => {
	let db: Db;
	useTestDb(kind, async (d) => {
		db = d;
		const classId = await createClass(db, actor, { name: 'Cable' });
		// 1,600 CIs straight into the table: the point here is counting, not creating.
		await db.execute(
			sql`insert into cmdb_cis (class_id, name, data, search)
				select ${classId}, 'cable-' || lpad(g::text, 4, '0'), '{}'::jsonb, to_tsvector('simple', 'cable')
				from generate_series(1, 1600) g`
		);
	});

	it('stops counting past the page and says so, and a short page is exact', async () => {
		const first = await listCis(db, { class: 'Cable', limit: 50 });
		expect(first.items).toHaveLength(50);
		expect(first).toMatchObject({ total: 50 + COUNT_AHEAD, totalExact: false });
		const near = await listCis(db, { class: 'Cable', limit: 50, offset: 1000 });
		expect(near).toMatchObject({ total: 1600, totalExact: true });
		const last = await listCis(db, { class: 'Cable', limit: 50, offset: 1580 });
		expect(last).toMatchObject({ total: 1600, totalExact: true });
		expect(last.items).toHaveLength(20);
	});

	it('exports every row even when the first page could not count them all', async () => {
		const csv = await exportCsv(db, { class: 'Cable' });
		const lines = csv.trim().split('\r\n');
		expect(lines).toHaveLength(1 + 1600);
		expect(lines[1600]).toContain('cable-1600');
	});
});
