// CMDB lists: indexed attributes (the index exists while an attribute needs it, and the list's filters and sorts
// use it), the one-statement page and count, and a list noticing a model change made by another app node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { dbKinds, freshPostgres } from '../helpers/db';
import { migrate, openDatabase, queryRows, type Database, type Db } from '../../src/server/db/client';
import { seedAccess } from '../../src/server/access/seed';
import { seedCmdb } from '../../src/server/cmdb/seed';
import { loadModel } from '../../src/server/cmdb/model';
import { addAttribute, removeAttribute, updateAttribute } from '../../src/server/cmdb/model-attributes';
import { createClass, deleteClass } from '../../src/server/cmdb/model-classes';
import { createDomain } from '../../src/server/cmdb/model-domains';
import { createCi } from '../../src/server/cmdb/cis';
import { listCis, listPlan } from '../../src/server/cmdb/query';
import { cmdbCis } from '../../src/server/db/schema';

const kinds = await dbKinds();
const actor = { id: null, name: 'tester' };
const user = { actor, source: 'user' as const };

async function rejects(p: Promise<unknown>): Promise<string> {
	try {
		await p;
	} catch (e) {
		return (e as Error).message;
	}
	throw new Error('expected a rejection');
}

/** The attribute indexes: definition and comment. */
async function attrIndexes(db: Db) {
	return queryRows<{ name: string; def: string; comment: string | null }>(
		db,
		sql`select indexname as name, indexdef as def, obj_description(format('%I', indexname)::regclass) as comment
			from pg_indexes where tablename = 'cmdb_cis' and indexname like 'cmdb\\_cis\\_attr\\_%' order by indexname`
	);
}

describe.each(kinds)('CMDB list indexes on %s', (kind) => {
	let database: Database;
	let other: Database; // a second app node on PostgreSQL; on PGlite the same handle
	let drop: (() => Promise<void>) | undefined;
	let db: Db;
	let rackId: number;
	const owners = ['alice', 'Alice', 'BOB', 'bob', 'carol', 'dave', null];
	const rows: { id: number; name: string; owner: string | null; size: number | null }[] = [];

	beforeAll(async () => {
		const pgdb = kind === 'postgres' ? await freshPostgres() : null;
		database = await openDatabase({ databaseUrl: pgdb?.url, dataDir: 'memory://' });
		await migrate(database);
		await seedAccess(database.db);
		await seedCmdb(database.db);
		other = pgdb ? await openDatabase({ databaseUrl: pgdb.url, dataDir: 'memory://' }) : database;
		drop = pgdb?.drop;
		db = database.db;
		rackId = await createClass(db, actor, { name: 'Rack' });
		await addAttribute(db, actor, { classId: rackId }, { name: 'owner', type: 'text', indexed: true });
		await addAttribute(db, actor, { classId: rackId }, { name: 'size', type: 'integer', indexed: true });
		await addAttribute(db, actor, { classId: rackId }, { name: 'note', type: 'longtext' });
		// 3,000 racks straight into the table, so the planner has a reason to prefer an index.
		await db.execute(
			sql`insert into cmdb_cis (class_id, name, data, search)
				select ${rackId}, 'rack-' || lpad(g::text, 4, '0'),
					jsonb_strip_nulls(jsonb_build_object(
						'owner', (${JSON.stringify(owners)}::jsonb) ->> (g % 7),
						'size', case when g % 11 = 0 then null else g % 48 end)),
					to_tsvector('simple', 'rack')
				from generate_series(1, 3000) g`
		);
		await db.execute(sql`analyze cmdb_cis`);
		for (const r of await queryRows<{ id: number; name: string; owner: string | null; size: number | null }>(
			db,
			sql`select id, name, data->>'owner' as owner, (data->>'size')::int as size from cmdb_cis where class_id = ${rackId}`
		))
			rows.push(r);
	});
	afterAll(async () => {
		if (other !== database) await other.close();
		await database.close();
		await drop?.();
	});

	it('gives each indexed attribute an index, named and commented, and no other', async () => {
		const idx = await attrIndexes(db);
		expect(idx.map((i) => i.comment).sort()).toEqual([
			'CMDB attribute owner (text)',
			'CMDB attribute size (number)'
		]);
		const owner = idx.find((i) => i.comment!.includes('owner'))!;
		expect(owner.def).toMatch(/\(class_id, "left"\(lower\(\(data ->> 'owner'::text\)\), 600\), id\)/);
		const m = await loadModel(db);
		expect(m.attr(m.cls('Rack'), 'owner')!.indexed).toBe(true);
		expect(m.attr(m.cls('Rack'), 'note')!.indexed).toBe(false);
	});

	it('filters and sorts on an indexed attribute through its index', async () => {
		const m = await loadModel(db);
		const idx = await attrIndexes(db);
		const owner = idx.find((i) => i.comment!.includes('owner'))!;
		const size = idx.find((i) => i.comment!.includes('size'))!;
		// Without a sequential scan to fall back on, a filter the index can't answer would show another index.
		const plan = (q: Parameters<typeof listPlan>[1], order = false) =>
			db.transaction(async (t) => {
				await t.execute(sql`set local enable_seqscan = off`);
				const p = listPlan(m, q);
				const qb = t.select({ id: cmdbCis.id }).from(cmdbCis).where(p.where);
				const r = await queryRows<Record<string, string>>(
					t as unknown as Db,
					sql`explain ${order ? qb.orderBy(...p.orderBy).limit(51) : qb}`
				);
				return r.map((x) => Object.values(x)[0]).join('\n');
			});
		expect(await plan({ class: 'Rack', filters: [{ attr: 'owner', op: '=', value: 'CAROL' }] })).toContain(
			owner.name
		);
		expect(await plan({ class: 'Rack', filters: [{ attr: 'size', op: '>=', value: '46' }] })).toContain(
			size.name
		);
		// A sort on the indexed attribute walks the index in order: no sort step over the class.
		const sorted = await plan({ class: 'Rack', sort: 'size' }, true);
		expect(sorted).toContain(size.name);
		expect(sorted).not.toMatch(/Sort Key/);
	});

	it('compares text case-insensitively, puts empty values last either way, and pages without gaps', async () => {
		const got = await listCis(db, { class: 'Rack', filters: [{ attr: 'owner', op: '=', value: 'ALICE' }] });
		const want = rows.filter((r) => r.owner?.toLowerCase() === 'alice');
		expect(got.total).toBe(Math.min(want.length, 50 + 1000));
		expect(got.items.every((i) => String(i.data.owner).toLowerCase() === 'alice')).toBe(true);

		const range = await listCis(db, {
			class: 'Rack',
			filters: [{ attr: 'size', op: '>=', value: '40' }],
			sort: 'size',
			dir: 'desc',
			limit: 500
		});
		const big = rows.filter((r) => r.size !== null && r.size >= 40);
		expect(range).toMatchObject({ total: big.length, totalExact: true });
		expect(range.items.map((i) => i.id)).toEqual(
			big.sort((a, b) => b.size! - a.size! || b.id - a.id).map((r) => r.id)
		);

		// The same order whether or not the attribute is indexed (the index only makes it faster).
		const ownerId = (await loadModel(db)).attr((await loadModel(db)).cls('Rack'), 'owner')!.id;
		for (const [indexed, dir] of [
			[true, 'asc'],
			[true, 'desc'],
			[false, 'asc'],
			[false, 'desc']
		] as const) {
			await updateAttribute(db, actor, ownerId, { indexed });
			const seen: number[] = [];
			for (let offset = 0; offset < rows.length; offset += 500) {
				const page = await listCis(db, { class: 'Rack', sort: 'owner', dir, offset, limit: 500 });
				seen.push(...page.items.map((i) => i.id));
			}
			const key = (r: (typeof rows)[number]) => r.owner?.toLowerCase();
			const sign = dir === 'asc' ? 1 : -1;
			const expected = [...rows].sort((a, b) => {
				const [x, y] = [key(a), key(b)];
				if (x !== y) return x === undefined ? 1 : y === undefined ? -1 : sign * (x < y ? -1 : 1);
				return sign * (a.id - b.id);
			});
			expect(seen, `${dir}, indexed ${indexed}`).toEqual(expected.map((r) => r.id));
		}
		await updateAttribute(db, actor, ownerId, { indexed: true });
	});

	it('counts in the same statement: capped, exact on a short list, and past the end', async () => {
		const first = await listCis(db, { class: 'Rack', limit: 50 });
		expect(first).toMatchObject({ total: 1050, totalExact: false });
		const near = await listCis(db, { class: 'Rack', limit: 50, offset: 2500 });
		expect(near).toMatchObject({ total: 3000, totalExact: true });
		const past = await listCis(db, { class: 'Rack', limit: 50, offset: 3100 });
		expect(past).toMatchObject({ total: 3000, totalExact: true, items: [] });
		const none = await listCis(db, { class: 'Rack', filters: [{ attr: 'owner', op: '=', value: 'zoe' }] });
		expect(none).toMatchObject({ total: 0, totalExact: true, items: [] });
	});

	it('keeps exactly the indexes still needed as attributes change, and shares one per expression', async () => {
		const shedId = await createClass(db, actor, { name: 'Shed' });
		const shedOwner = await addAttribute(
			db,
			actor,
			{ classId: shedId },
			{ name: 'owner', type: 'enum', enumValues: ['x'], indexed: true }
		);
		expect(await attrIndexes(db)).toHaveLength(2); // Rack.owner (text) and Shed.owner (enum) share one
		const m = await loadModel(db);
		const rackOwner = m.attr(m.cls('Rack'), 'owner')!.id;
		await updateAttribute(db, actor, rackOwner, { indexed: false });
		expect(await attrIndexes(db)).toHaveLength(2); // Shed.owner still needs it
		await updateAttribute(db, actor, shedOwner, { name: 'keeper' });
		expect((await attrIndexes(db)).map((i) => i.comment).sort()).toEqual([
			'CMDB attribute keeper (text)',
			'CMDB attribute size (number)'
		]);
		await removeAttribute(db, actor, shedOwner, true);
		const size = m.attr(m.cls('Rack'), 'size')!.id;
		await updateAttribute(db, actor, size, { type: 'decimal' });
		expect((await attrIndexes(db)).map((i) => i.comment)).toEqual(['CMDB attribute size (number)']);
		const gone = await createClass(db, actor, { name: 'Gone' });
		await addAttribute(db, actor, { classId: gone }, { name: 'colour', type: 'text', indexed: true });
		expect(await attrIndexes(db)).toHaveLength(2);
		await deleteClass(db, actor, gone);
		expect((await attrIndexes(db)).map((i) => i.comment)).toEqual(['CMDB attribute size (number)']);
		await updateAttribute(db, actor, rackOwner, { indexed: true });
	});

	it('refuses to index relation attributes and long text, naming them', async () => {
		const domainId = await createDomain(db, actor, {
			name: 'RackFeeds',
			source: 'Rack',
			target: 'Rack',
			cardinality: 'N:N',
			forwardLabel: 'feeds',
			reverseLabel: 'fed by'
		});
		expect(
			await rejects(addAttribute(db, actor, { domainId }, { name: 'amps', type: 'integer', indexed: true }))
		).toMatch(/amps: only class attributes can be indexed/);
		const note = (await loadModel(db)).attr((await loadModel(db)).cls('Rack'), 'note')!.id;
		expect(await rejects(updateAttribute(db, actor, note, { indexed: true }))).toMatch(
			/note: long text can't be indexed/
		);
	});

	it('notices a model change made on another node before its next list', async () => {
		await listCis(db, { class: 'Rack', limit: 1 }); // this node now holds the current model
		// A new subclass changes what "Rack" lists without making the old model fail: the version check must see it.
		await createClass(other.db, actor, { name: 'SmallRack', parent: 'Rack' });
		const small = await createCi(other.db, user, { class: 'SmallRack', name: 'small-1' });
		const found = await listCis(db, {
			class: 'Rack',
			filters: [{ attr: 'name', op: '=', value: 'small-1' }]
		});
		expect(found.items.map((i) => [i.id, i.class])).toEqual([[small.id, 'SmallRack']]);
		await addAttribute(
			other.db,
			actor,
			{ classId: rackId },
			{ name: 'colour', type: 'enum', enumValues: ['red', 'blue'] }
		);
		const ci = await createCi(other.db, user, { class: 'Rack', name: 'red-rack', data: { colour: 'red' } });
		const red = await listCis(db, { class: 'Rack', filters: [{ attr: 'colour', op: '=', value: 'RED' }] });
		expect(red.items.map((i) => i.id)).toEqual([ci.id]);
		const m = await loadModel(other.db);
		await updateAttribute(other.db, actor, m.attr(m.cls('Rack'), 'colour')!.id, { name: 'paint' });
		const painted = await listCis(db, { class: 'Rack', filters: [{ attr: 'paint', op: 'set', value: '' }] });
		expect(painted.items.map((i) => i.id)).toEqual([ci.id]);
		expect(
			await rejects(listCis(db, { class: 'Rack', filters: [{ attr: 'colour', op: 'set', value: '' }] }))
		).toMatch(/Unknown attribute "colour"/);
	});
});
