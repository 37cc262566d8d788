import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { dbKinds, freshPostgres, openTestDb } from '../helpers/db';
import { ADMIN_PASSWORD, ROOT, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { queryRows, type Db } from '../../src/server/db/client';
import { auditLog, cmdbCis, cmdbHistory } from '../../src/server/db/schema';
import { CSV_MAX_ROWS, csvRecord, decodeCsv, parseCsv } from '../../src/server/cmdb/csv';
import { exportCsv } from '../../src/server/cmdb/export';
import { createCi, deleteCi, updateCi } from '../../src/server/cmdb/cis';
import { loadModel } from '../../src/server/cmdb/model';
import { addAttribute } from '../../src/server/cmdb/model-attributes';
import { createClass } from '../../src/server/cmdb/model-classes';
import { createCaller } from '../../src/server/trpc/router';
import { SUPERUSER, type Principal } from '../../src/server/auth/permissions';

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'cmdb');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const kinds = await dbKinds();

function principal(name: string, permissions: string[]): Principal {
	return { userId: 1, username: name, roles: [], permissions: new Set(permissions), grants: [] };
}

function thrown(fn: () => unknown): string {
	try {
		fn();
	} catch (e) {
		return (e as Error).message;
	}
	throw new Error('expected an error');
}

async function rejects(p: Promise<unknown>): Promise<string> {
	try {
		await p;
	} catch (e) {
		return (e as Error).message;
	}
	throw new Error('expected a rejection');
}

describe('CSV reading and writing', () => {
	it('reads quoted values with delimiters, doubled quotes and line breaks, and numbers lines as the file does', () => {
		const text =
			'name,notes,model\r\n' +
			'a,"one, two","say ""hi"""\r\n' +
			'b,"first line\r\nsecond line\nthird",plain\r\n' +
			'c,,"x"\r\n';
		const csv = parseCsv(text);
		expect(csv.delimiter).toBe(',');
		expect(csv.header).toEqual(['name', 'notes', 'model']);
		expect(csv.rows).toEqual([
			{ line: 2, fields: ['a', 'one, two', 'say "hi"'] },
			{ line: 3, fields: ['b', 'first line\nsecond line\nthird', 'plain'] },
			{ line: 6, fields: ['c', '', 'x'] }
		]);
	});

	it('takes LF, CR or CRLF line ends, skips blank lines, and detects ; and tab delimiters', () => {
		expect(parseCsv('a;b\n1;2\n\n\n3;4\n').rows).toEqual([
			{ line: 2, fields: ['1', '2'] },
			{ line: 5, fields: ['3', '4'] }
		]);
		expect(parseCsv('a;b\n1;2').delimiter).toBe(';');
		expect(parseCsv('a\tb\r1,5\t2\r').rows).toEqual([{ line: 2, fields: ['1,5', '2'] }]);
		// a row of nothing but delimiters is blank too
		expect(parseCsv('a,b\r\n,\r\n1,2\r\n').rows).toEqual([{ line: 3, fields: ['1', '2'] }]);
		// the header decides: commas inside a quoted header name don't count
		expect(parseCsv('"x,y";z\n1;2').header).toEqual(['x,y', 'z']);
	});

	it('skips a UTF-8 byte-order mark, from bytes or from text', () => {
		const bytes = fs.readFileSync(path.join(FIXTURES, 'bom-semicolon.csv'));
		expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const csv = parseCsv(decodeCsv(bytes));
		expect(csv.delimiter).toBe(';');
		expect(csv.header).toEqual(['Name', 'Asset tag', 'RAM (MB)', 'Notes']);
		expect(csv.rows.map((r) => r.line)).toEqual([2, 5, 6]);
		expect(csv.rows[0].fields[3]).toBe('Desk 4; under the window\nsecond line');
		expect(parseCsv('\uFEFFname\nx').header).toEqual(['name']);
	});

	it('refuses a file that is not UTF-8, naming the line, instead of importing mojibake', () => {
		const bytes = fs.readFileSync(path.join(FIXTURES, 'windows-1252.csv'));
		const msg = thrown(() => decodeCsv(bytes));
		expect(msg).toMatch(/not UTF-8: save it as UTF-8/);
		expect(msg).toContain('Line 2');
		// What a browser hands over after decoding the same bytes as UTF-8: replacement characters.
		expect(thrown(() => parseCsv(new TextDecoder().decode(bytes)))).toMatch(/not UTF-8.*Line 2/);
	});

	it('names the line of an unterminated quote and of rows with too many or too few values', () => {
		expect(thrown(() => parseCsv('a,b\n1,2\n3,"open\n4,5\n'))).toMatch(/^Line 3: a quoted value starts here/);
		const msg = thrown(() => parseCsv('a,b,c\n1,2,3\n1,2\n1,2,3,4\n'));
		expect(msg).toContain('Line 3 has 2 values but the header has 3 columns');
		expect(msg).toContain('line 4 has 4 values');
		expect(thrown(() => parseCsv('a,b\n"x"y,2\n'))).toMatch(/^Line 2: there is text after the closing quote/);
		expect(thrown(() => parseCsv('a,A\n1,2\n'))).toMatch(/names "A" twice/);
		expect(thrown(() => parseCsv(''))).toMatch(/empty/);
	});

	it('drops nameless empty columns spreadsheets add, and refuses nameless columns with values', () => {
		expect(parseCsv('a,b,,\n1,2,,\n').header).toEqual(['a', 'b']);
		expect(thrown(() => parseCsv('a,,c\n1,2,3\n'))).toMatch(/Column 2 has values but no name/);
	});

	it('refuses files over the size and row limits with a clear message', () => {
		const rows = 'x\n'.repeat(CSV_MAX_ROWS + 1);
		expect(thrown(() => parseCsv('name\n' + rows))).toMatch(/more than 50,000 rows; split it/);
		expect(parseCsv('name\n' + 'x\n'.repeat(CSV_MAX_ROWS)).rows).toHaveLength(CSV_MAX_ROWS);
		const big = 'name\n' + 'y'.repeat(1000).concat('\n').repeat(10_600);
		expect(thrown(() => parseCsv(big))).toMatch(/at most 10 MB can be imported at once/);
		expect(thrown(() => decodeCsv(Buffer.from(big)))).toMatch(/at most 10 MB/);
	});

	it('writes RFC 4180: CRLF, quotes only around commas, quotes and line breaks, quotes doubled', () => {
		const fields = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', ' spaced ', ''];
		const line = csvRecord(fields);
		expect(line).toBe('plain,"a,b","say ""hi""","two\nlines","cr\rhere", spaced ,\r\n');
		expect(parseCsv(csvRecord(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7']) + line).rows[0].fields).toEqual([
			'plain',
			'a,b',
			'say "hi"',
			'two\nlines',
			'cr\nhere',
			' spaced ',
			''
		]);
	});
});

describe.each(kinds)('CMDB CSV import and export on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	const admin = () => createCaller({ db, user: principal('admin', [SUPERUSER]), sessionId: null, ip: '' });
	const viewer = () =>
		createCaller({ db, user: principal('viewer', ['cmdb.read']), sessionId: null, ip: '' });
	const computers = async () =>
		(
			await db
				.select({ n: sql<number>`count(*)::int` })
				.from(cmdbCis)
				.where(sql`name like 'pc-%'`)
		)[0].n;
	const historyCount = async () =>
		(await db.select({ n: sql<number>`count(*)::int` }).from(cmdbHistory))[0].n;
	const byName = async (name: string) => (await db.select().from(cmdbCis).where(eq(cmdbCis.name, name)))[0];

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
	});
	afterAll(() => database.dispose());

	it('suggests a mapping by attribute name or label, any case, and shows a sample', async () => {
		const r = await admin().cmdb.import.parse({ class: 'Computer', csv: fixture('computers-50-bad.csv') });
		expect(r.columns).toEqual(['name', 'Asset tag', 'status', 'ramMb', 'ipAddress', 'os']);
		expect(r.rowCount).toBe(50);
		expect(r.sample).toHaveLength(5);
		expect(r.sample[0]).toEqual(['pc-001', 'AT-1001', 'in use', '8192', '10.1.0.1', 'Ubuntu 24.04']);
		expect(r.suggested).toEqual({
			name: 'name',
			'Asset tag': 'assetTag',
			status: 'status',
			ramMb: 'ramMb',
			ipAddress: 'ipAddress',
			os: 'os'
		});
		expect(
			(await admin().cmdb.import.parse({ class: 'Computer', csv: 'NAME,RAMMB,Whatever\n' })).suggested
		).toEqual({ NAME: 'name', RAMMB: 'ramMb', Whatever: '' });
		// reading a file needs only cmdb.read; importing needs cmdb.write
		await expect(viewer().cmdb.import.parse({ class: 'Computer', csv: 'name\nx\n' })).resolves.toMatchObject({
			rowCount: 1
		});
		const input = { class: 'Computer', csv: 'name\nx\n', mapping: { name: 'name' }, keyAttribute: 'name' };
		expect(await rejects(viewer().cmdb.import.dryRun(input))).toMatch(/not allowed.*cmdb.write/);
		expect(await rejects(viewer().cmdb.import.commit(input))).toMatch(/not allowed.*cmdb.write/);
	});

	it('dry-runs a file with 3 bad rows: exactly those 3 errors, with lines and fields; commit refuses and writes nothing', async () => {
		const csv = fixture('computers-50-bad.csv');
		const { suggested: mapping } = await admin().cmdb.import.parse({ class: 'Computer', csv });
		const input = { class: 'Computer', csv, mapping, keyAttribute: 'assetTag' };
		const before = { cis: await computers(), history: await historyCount() };

		const dry = await admin().cmdb.import.dryRun(input);
		expect(dry.counts).toEqual({ insert: 47, update: 0, unchanged: 0, error: 3 });
		const errors = dry.rows.filter((r) => r.action === 'error');
		expect(errors.map((r) => ({ line: r.line, key: r.key, fields: r.errors!.map((e) => e.field) }))).toEqual([
			{ line: 9, key: 'AT-1008', fields: ['ramMb'] },
			{ line: 21, key: 'AT-1020', fields: ['ipAddress'] },
			{ line: 42, key: 'AT-1041', fields: ['status'] }
		]);
		expect(errors[0].errors![0].message).toMatch(/must be a whole number/);
		expect(errors[2].errors![0].message).toMatch(/must be one of in use, in stock/);
		const first = dry.rows.find((r) => r.line === 2)!;
		expect(first).toMatchObject({ action: 'insert', key: 'AT-1001', name: 'pc-001' });
		expect(first.changes).toMatchObject({
			name: [null, 'pc-001'],
			ramMb: [null, 8192],
			assetTag: [null, 'AT-1001']
		});
		// a dry run writes nothing
		expect({ cis: await computers(), history: await historyCount() }).toEqual(before);

		const msg = await rejects(admin().cmdb.import.commit(input));
		expect(msg).toMatch(/^Nothing was imported: 3 rows have errors/);
		expect(msg).toContain('line 9: ramMb: must be a whole number');
		expect(msg).toContain('line 21: ipAddress:');
		expect(msg).toContain('line 42: status:');
		expect({ cis: await computers(), history: await historyCount() }).toEqual(before);
		expect(await admin().cmdb.import.mapping({ class: 'Computer' })).toBeNull();
	});

	it('commits the fixed file: 50 CIs with history from csv, the mapping remembered, one audit entry', async () => {
		const csv = fixture('computers-50.csv');
		const { suggested: mapping } = await admin().cmdb.import.parse({ class: 'Computer', csv });
		const input = { class: 'Computer', csv, mapping, keyAttribute: 'assetTag' };
		expect((await admin().cmdb.import.dryRun(input)).counts).toEqual({
			insert: 50,
			update: 0,
			unchanged: 0,
			error: 0
		});
		expect(await admin().cmdb.import.commit(input)).toEqual({ inserted: 50, updated: 0, unchanged: 0 });
		expect(await computers()).toBe(50);
		const pc8 = await byName('pc-008');
		expect(pc8.data).toMatchObject({
			assetTag: 'AT-1008',
			ramMb: 4096,
			ipAddress: '10.1.0.8',
			status: 'in use'
		});
		const [h] = await db.select().from(cmdbHistory).where(eq(cmdbHistory.ciId, pc8.id));
		expect(h).toMatchObject({ op: 'create', source: 'csv', message: 'CSV import', actorName: 'admin' });
		expect(await admin().cmdb.import.mapping({ class: 'Computer' })).toEqual({
			mapping,
			keyAttribute: 'assetTag'
		});
		const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'cmdb.import'));
		expect(audits).toHaveLength(1);
		expect(audits[0]).toMatchObject({ targetName: 'Computer', actorName: 'admin' });
		expect(audits[0].after).toMatchObject({
			inserted: 50,
			updated: 0,
			unchanged: 0,
			keyAttribute: 'assetTag'
		});
	});

	it('detects updates and unchanged rows, and only updated CIs get a new version', async () => {
		const csv = fixture('computers-50.csv')
			.replace('pc-003,AT-1003,in use,16384', 'pc-003,AT-1003,in repair,16384')
			.replace('pc-011,AT-1011,in use,16384', 'pc-011,AT-1011,in use,65536');
		// the remembered mapping is offered again for the same columns
		const parsed = await admin().cmdb.import.parse({ class: 'Computer', csv });
		const input = { class: 'Computer', csv, mapping: parsed.suggested, keyAttribute: 'assetTag' };
		const dry = await admin().cmdb.import.dryRun(input);
		expect(dry.counts).toEqual({ insert: 0, update: 2, unchanged: 48, error: 0 });
		expect(dry.rows.filter((r) => r.action === 'update')).toEqual([
			{
				line: 4,
				action: 'update',
				key: 'AT-1003',
				name: 'pc-003',
				changes: { status: ['in use', 'in repair'] }
			},
			{ line: 12, action: 'update', key: 'AT-1011', name: 'pc-011', changes: { ramMb: [16384, 65536] } }
		]);
		const v1 = (await byName('pc-004')).version;
		expect(await admin().cmdb.import.commit(input)).toEqual({ inserted: 0, updated: 2, unchanged: 48 });
		expect(await byName('pc-003')).toMatchObject({
			version: 2,
			data: expect.objectContaining({ status: 'in repair' })
		});
		expect((await byName('pc-011')).data.ramMb).toBe(65536);
		expect((await byName('pc-004')).version).toBe(v1);
		// the same file again: nothing to do
		expect(await admin().cmdb.import.commit(input)).toEqual({ inserted: 0, updated: 0, unchanged: 50 });
		// an empty cell clears the value
		const cleared = 'name,Asset tag,os\npc-005,AT-1005,\n';
		const r = await admin().cmdb.import.dryRun({
			class: 'Computer',
			csv: cleared,
			mapping: { name: 'name', 'Asset tag': 'assetTag', os: 'os' },
			keyAttribute: 'assetTag'
		});
		expect(r.rows[0]).toMatchObject({ action: 'update', changes: { os: ['Ubuntu 24.04', null] } });
	});

	it('refuses a key that appears twice in the file, on the later row', async () => {
		const csv = 'name,ramMb\nnew-1,1024\nnew-2,2048\nNEW-1,4096\n';
		const r = await admin().cmdb.import.dryRun({
			class: 'Computer',
			csv,
			mapping: { name: 'name', ramMb: 'ramMb' },
			keyAttribute: 'name'
		});
		expect(r.counts).toEqual({ insert: 2, update: 0, unchanged: 0, error: 1 });
		expect(r.rows[2]).toMatchObject({
			line: 4,
			action: 'error',
			errors: [{ field: 'name', message: '"NEW-1" is also on line 2; each row needs its own key' }]
		});
	});

	it('reports a unique value repeated inside the file against the row that has it first', async () => {
		const csv = 'name,assetTag\nu-1,AT-9001\nu-2,AT-9001\n';
		const r = await admin().cmdb.import.dryRun({
			class: 'Computer',
			csv,
			mapping: { name: 'name', assetTag: 'assetTag' },
			keyAttribute: 'name'
		});
		expect(r.rows[1]).toMatchObject({ action: 'error', errors: [{ field: 'assetTag' }] });
		expect(r.rows[1].errors![0].message).toMatch(
			/must be unique; "AT-9001" is already used by u-1 \(line 2 of this file\)/
		);
	});

	it('agrees between dry run and commit when a row takes a unique value an earlier row gives up', async () => {
		const csv = 'name,Asset tag\npc-001,AT-5555\npc-002,AT-1001\n';
		const input = {
			class: 'Computer',
			csv,
			mapping: { name: 'name', 'Asset tag': 'assetTag' },
			keyAttribute: 'name'
		};
		expect((await admin().cmdb.import.dryRun(input)).counts).toEqual({
			insert: 0,
			update: 2,
			unchanged: 0,
			error: 0
		});
		expect(await admin().cmdb.import.commit(input)).toEqual({ inserted: 0, updated: 2, unchanged: 0 });
		expect((await byName('pc-002')).data.assetTag).toBe('AT-1001');
		// and the reverse order fails in both
		const back = { ...input, csv: 'name,Asset tag\npc-001,AT-1001\npc-002,AT-1002\n' };
		const dry = await admin().cmdb.import.dryRun(back);
		expect(dry.rows[0]).toMatchObject({ action: 'error', errors: [{ field: 'assetTag' }] });
		expect(await rejects(admin().cmdb.import.commit(back))).toMatch(/line 2: assetTag: must be unique/);
	});

	it('imports a BOM + semicolon file with quoted line breaks, mapping by labels', async () => {
		const csv = fixture('bom-semicolon.csv');
		const parsed = await admin().cmdb.import.parse({ class: 'Computer', csv });
		expect(parsed.suggested).toEqual({
			Name: 'name',
			'Asset tag': 'assetTag',
			'RAM (MB)': 'ramMb',
			Notes: 'notes'
		});
		const res = await admin().cmdb.import.commit({
			class: 'Computer',
			csv,
			mapping: parsed.suggested,
			keyAttribute: 'assetTag'
		});
		expect(res).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
		expect((await byName('büro-01')).data).toMatchObject({
			ramMb: 8192,
			notes: 'Desk 4; under the window\nsecond line'
		});
		expect((await byName('büro-02')).data.notes).toBe('Says "hello"');
		expect((await byName('büro-02')).data.ramMb).toBeUndefined();
	});

	it('names the row and field of a bad key, class or name, and refuses bad mappings as a whole', async () => {
		const r = await admin().cmdb.import.dryRun({
			class: 'Item',
			csv: 'class,name,assetTag,ramMb,sizeInches\nComputer,k-1,,1,\nMonitor,k-2,AT-k2,8,24\nBuilding,k-3,AT-k3,,\n,k-4,AT-k4,,\n',
			mapping: {
				class: 'class',
				name: 'name',
				assetTag: 'assetTag',
				ramMb: 'ramMb',
				sizeInches: 'sizeInches'
			},
			keyAttribute: 'assetTag'
		});
		expect(r.rows.map((x) => [x.line, x.action, x.errors?.map((e) => e.field)])).toEqual([
			[2, 'error', ['assetTag']],
			[3, 'error', ['ramMb']],
			[4, 'error', ['class']],
			[5, 'error', ['class']]
		]);
		expect(r.rows[1].errors![0].message).toBe('Monitor has no attribute "ramMb"');
		expect(r.rows[3].errors![0].message).toMatch(/Item is abstract; name one of its subclasses/);
		const ok = await admin().cmdb.import.dryRun({
			class: 'Item',
			csv: 'class,name,assetTag,sizeInches\nMonitor,m-1,AT-m1,24.5\n',
			mapping: { class: 'class', name: 'name', assetTag: 'assetTag', sizeInches: 'sizeInches' },
			keyAttribute: 'assetTag'
		});
		expect(ok.rows[0]).toMatchObject({ action: 'insert', changes: { sizeInches: [null, 24.5] } });

		const base = { class: 'Computer', csv: 'name,x\na,b\n', keyAttribute: 'name' };
		expect(
			await rejects(admin().cmdb.import.dryRun({ ...base, mapping: { name: 'name', x: 'bogus' } }))
		).toMatch(/Column "x" is mapped to "bogus", but Computer has no such attribute/);
		expect(
			await rejects(admin().cmdb.import.dryRun({ ...base, mapping: { name: 'name', x: 'name' } }))
		).toMatch(/both mapped to name/);
		expect(await rejects(admin().cmdb.import.dryRun({ ...base, mapping: { x: 'os' } }))).toMatch(
			/Map a column to the key name/
		);
		expect(await rejects(admin().cmdb.import.dryRun({ ...base, csv: 'name\n"a\n', mapping: {} }))).toMatch(
			/Line 2: a quoted value starts here/
		);
	});

	it('asks for a change message when the class requires one, and records it', async () => {
		const actor = { id: null, name: 'tester' };
		await createClass(db, actor, { name: 'Lease', requireChangeMessage: true });
		await addAttribute(
			db,
			actor,
			{ classId: (await loadModel(db)).cls('Lease').id },
			{
				name: 'vendor',
				type: 'text'
			}
		);
		const input = {
			class: 'Lease',
			csv: 'name,vendor\nc-1,ACME\n',
			mapping: { name: 'name', vendor: 'vendor' },
			keyAttribute: 'name'
		};
		expect(await rejects(admin().cmdb.import.dryRun(input))).toMatch(
			/message: changes to Lease need a change message/
		);
		expect(await admin().cmdb.import.commit({ ...input, message: 'Contracts from procurement' })).toEqual({
			inserted: 1,
			updated: 0,
			unchanged: 0
		});
		const ci = await byName('c-1');
		const [h] = await db.select().from(cmdbHistory).where(eq(cmdbHistory.ciId, ci.id));
		expect(h.message).toBe('Contracts from procurement');
	});

	it('writes exactly what createCi and updateCi write: data, manual marks, search words, versions, history', async () => {
		const user = { actor: { id: 1, name: 'admin' }, source: 'csv' as const, message: 'CSV import' };
		const view = async (name: string) => {
			const [row] = await queryRows<Record<string, unknown>>(
				db,
				sql`select id, class_id, name, data, manual, version, search::text as search from cmdb_cis where name = ${name}`
			);
			const hist = await db
				.select()
				.from(cmdbHistory)
				.where(eq(cmdbHistory.ciId, row.id as number))
				.orderBy(cmdbHistory.id);
			return {
				...row,
				id: undefined,
				history: hist.map((h) => ({ ...h, id: undefined, ciId: undefined, at: undefined }))
			};
		};
		// by hand: create, then change the name and two values (one cleared)
		const ci = await createCi(db, user, {
			class: 'Computer',
			name: 'eq-1',
			data: { assetTag: 'AT-EQ', ramMb: '4096', macAddress: '00-1A-2B-3C-4D-5E', os: 'Debian' }
		});
		await updateCi(db, user, { id: ci.id, name: 'eq-2', data: { ramMb: 8192, os: '' } });
		const direct = await view('eq-2');
		expect(direct).toMatchObject({
			version: 2,
			manual: ['assetTag', 'ramMb', 'macAddress', 'os', 'status', 'name']
		});
		expect(direct.history[1].changes).toEqual({
			name: ['eq-1', 'eq-2'],
			ramMb: [4096, 8192],
			os: ['Debian', null]
		});
		await deleteCi(db, user, ci.id);
		// the same through two imports
		await admin().cmdb.import.commit({
			class: 'Computer',
			csv: 'name,assetTag,ramMb,macAddress,os\neq-1,AT-EQ,4096,00-1A-2B-3C-4D-5E,Debian\n',
			mapping: { name: 'name', assetTag: 'assetTag', ramMb: 'ramMb', macAddress: 'macAddress', os: 'os' },
			keyAttribute: 'name'
		});
		await admin().cmdb.import.commit({
			class: 'Computer',
			csv: 'assetTag,name,ramMb,os\nAT-EQ,eq-2,8192,\n',
			mapping: { assetTag: 'assetTag', name: 'name', ramMb: 'ramMb', os: 'os' },
			keyAttribute: 'assetTag'
		});
		expect(await view('eq-2')).toEqual(direct);
	});

	it('exports the list as filtered and sorted, quoting commas, quotes and line breaks, and re-imports it unchanged', async () => {
		const user = { actor: { id: null, name: 'tester' }, source: 'user' as const };
		await createCi(db, user, {
			class: 'Computer',
			name: 'pc-quoted',
			data: { assetTag: 'AT-Q', model: 'ThinkPad, "X1"', notes: 'line one\nline two', ramMb: 2048 }
		});
		const csv = await exportCsv(db, {
			class: 'Computer',
			q: 'name~pc-',
			columns: ['assetTag', 'model', 'ramMb', 'notes']
		});
		const lines = csv.split('\r\n');
		expect(lines[0]).toBe('id,class,name,assetTag,model,ramMb,notes');
		expect(csv).toContain(',Computer,pc-quoted,AT-Q,"ThinkPad, ""X1""",2048,"line one\nline two"\r\n');
		const parsed = parseCsv(csv);
		expect(parsed.rows.map((r) => r.fields[2])).toEqual(
			[...parsed.rows.map((r) => r.fields[2])].sort((a, b) => a.localeCompare(b, 'en'))
		);
		expect(parsed.rows).toHaveLength(51);
		const desc = parseCsv(
			await exportCsv(db, { class: 'Computer', q: 'ramMb>=16384', sort: 'ramMb', dir: 'desc' })
		);
		const rams = desc.rows.map((r) => Number(r.fields[desc.header.indexOf('ramMb')]));
		expect(rams.length).toBeGreaterThan(5);
		expect(rams.every((v) => v >= 16384)).toBe(true);
		expect(rams).toEqual([...rams].sort((a, b) => b - a));

		// export → import: every row unchanged, matched by id or by name
		const all = await exportCsv(db, { class: 'Computer' });
		const { suggested } = await admin().cmdb.import.parse({ class: 'Computer', csv: all });
		expect(suggested).toMatchObject({ id: 'id', class: 'class', name: 'name', ramMb: 'ramMb' });
		const total = parseCsv(all).rows.length;
		for (const keyAttribute of ['id', 'name']) {
			const r = await admin().cmdb.import.dryRun({
				class: 'Computer',
				csv: all,
				mapping: suggested,
				keyAttribute
			});
			expect(r.counts, keyAttribute).toEqual({ insert: 0, update: 0, unchanged: total, error: 0 });
		}
		expect(await exportCsv(db, { class: 'Computer', columns: ['nope'] }).catch((e) => e.message)).toMatch(
			/Can't export column "nope"/
		);

		// a superclass: a column only some subclasses have is empty for the others; yes/no as the list shows it
		await createCi(db, user, { class: 'Printer', name: 'prn-colour', data: { colour: true, model: 'P1' } });
		await createCi(db, user, { class: 'Printer', name: 'prn-mono', data: { colour: false } });
		const items = async (q: string) =>
			parseCsv(await exportCsv(db, { class: 'Item', q, columns: ['model', 'colour', 'ramMb'] }));
		const pc = await items('name~pc-quoted');
		expect(pc.header).toEqual(['id', 'class', 'name', 'model', 'colour', 'ramMb']);
		expect(pc.rows.map((r) => r.fields.slice(1))).toEqual([
			['Computer', 'pc-quoted', 'ThinkPad, "X1"', '', '2048']
		]);
		expect((await items('name~prn-')).rows.map((r) => r.fields.slice(1))).toEqual([
			['Printer', 'prn-colour', 'P1', 'yes', ''],
			['Printer', 'prn-mono', '', 'no', '']
		]);
	});

	it('commits 10,000 rows in one transaction in seconds', async () => {
		const rows = ['name,assetTag,ramMb,os'];
		for (let i = 0; i < 10_000; i++) rows.push(`bulk-${i},BT-${i},${1024 + i},Debian ${i % 13}`);
		const input = {
			class: 'Computer',
			csv: rows.join('\n'),
			mapping: { name: 'name', assetTag: 'assetTag', ramMb: 'ramMb', os: 'os' },
			keyAttribute: 'assetTag'
		};
		const t0 = Date.now();
		expect(await admin().cmdb.import.commit(input)).toEqual({ inserted: 10_000, updated: 0, unchanged: 0 });
		const insertMs = Date.now() - t0;
		const t1 = Date.now();
		expect(await admin().cmdb.import.commit(input)).toEqual({ inserted: 0, updated: 0, unchanged: 10_000 });
		const unchangedMs = Date.now() - t1;
		console.log(`${kind}: 10,000-row CSV import ${insertMs} ms (insert), ${unchangedMs} ms (all unchanged)`);
		const [{ n }] = await db
			.select({ n: sql<number>`count(*)::int` })
			.from(cmdbCis)
			.where(and(sql`name like 'bulk-%'`));
		expect(n).toBe(10_000);
	}, 300_000);
});

function cli(dataDir: string, args: string[], opts: { cwd?: string } = {}) {
	return spawnSync(process.execPath, [path.join(ROOT, 'build', 'cli.js'), ...args], {
		cwd: opts.cwd ?? ROOT,
		encoding: 'utf8',
		env: { ...process.env, FLEETDESK_DATA_DIR: dataDir, DATABASE_URL: '' }
	});
}

describe('CSV import and export through the running server on the embedded database', () => {
	let server: RunningServer;
	let admin: string;
	let dir: string;

	beforeAll(async () => {
		server = await startServer();
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-csv-'));
	});
	afterAll(async () => {
		await server?.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it('imports with the CLI: dry run, refusal with line numbers, commit, export', () => {
		const bad = path.join(dir, 'bad.csv');
		fs.copyFileSync(path.join(FIXTURES, 'computers-50-bad.csv'), bad);
		const dry = cli(server.dataDir, [
			'cmdb',
			'import',
			bad,
			'--class',
			'Computer',
			'--key',
			'assetTag',
			'--dry-run'
		]);
		expect(dry.status).toBe(1);
		expect(dry.stdout).toContain('would insert 47, update 0; 0 unchanged; 3 with errors');
		expect(dry.stderr).toContain('line 9 (pc-008): ramMb: must be a whole number');
		expect(dry.stderr).toContain('line 21 (pc-020): ipAddress:');
		expect(dry.stderr).toContain('line 42 (pc-041): status:');
		const refused = cli(server.dataDir, ['cmdb', 'import', bad, '--class', 'Computer', '--key', 'assetTag']);
		expect(refused.status).toBe(1);
		expect(refused.stderr).toContain('Nothing was imported: 3 rows have errors');
		const empty = cli(server.dataDir, ['cmdb', 'export', '--class', 'Computer']);
		expect(empty.status).toBe(0);
		expect(empty.stdout.split('\r\n').filter(Boolean)).toHaveLength(1); // the header only

		const good = path.join(dir, 'good.csv');
		fs.copyFileSync(path.join(FIXTURES, 'computers-50.csv'), good);
		const ok = cli(server.dataDir, [
			'cmdb',
			'import',
			good,
			'--class',
			'Computer',
			'--key',
			'assetTag',
			'--message',
			'from the shop'
		]);
		expect(ok.stderr).toBe('');
		expect(ok.stdout).toContain('inserted 50, updated 0, unchanged 0');
		expect(ok.status).toBe(0);

		const out = cli(server.dataDir, [
			'cmdb',
			'export',
			'--class',
			'Computer',
			'--q',
			'ramMb>=16384',
			'--columns',
			'assetTag,ramMb'
		]);
		expect(out.status).toBe(0);
		const csv = parseCsv(out.stdout);
		expect(csv.header).toEqual(['id', 'class', 'name', 'assetTag', 'ramMb']);
		expect(csv.rows.length).toBe(12);
		expect(csv.rows.every((r) => Number(r.fields[4]) >= 16384)).toBe(true);
	});

	it('reads a file named relative to the directory the CLI runs in, not the server’s', () => {
		fs.writeFileSync(path.join(dir, 'one.csv'), 'name,assetTag\nrel-1,AT-REL-1\n');
		const r = cli(server.dataDir, ['cmdb', 'import', 'one.csv', '--class', 'Computer', '--key', 'name'], {
			cwd: dir
		});
		expect(r.stderr).toBe('');
		expect(r.stdout).toContain('inserted 1');
	});

	it('downloads the export over HTTP as an attachment, for readers only', async () => {
		const res = await fetch(
			`${server.url}/api/cmdb/export.csv?class=Computer&q=os~debian&sort=name&dir=desc&columns=assetTag,os`,
			{
				headers: { cookie: admin }
			}
		);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		const date = new Date().toISOString().slice(0, 10);
		expect(res.headers.get('content-disposition')).toBe(
			`attachment; filename="Computer-${date}.csv"; filename*=UTF-8''Computer-${date}.csv`
		);
		const bytes = new Uint8Array(await res.arrayBuffer());
		expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const csv = parseCsv(new TextDecoder().decode(bytes));
		expect(csv.header).toEqual(['id', 'class', 'name', 'assetTag', 'os']);
		expect(csv.rows.length).toBe(12);
		expect(csv.rows.every((r) => r.fields[4] === 'Debian 12')).toBe(true);
		expect(csv.rows[0].fields[2]).toBe('pc-048');

		expect((await fetch(`${server.url}/api/cmdb/export.csv?class=Computer`)).status).toBe(401);
		const bad = await fetch(`${server.url}/api/cmdb/export.csv?class=Computer&sort=nope`, {
			headers: { cookie: admin }
		});
		expect(bad.status).toBe(400);
		expect(await bad.json()).toEqual({ error: { message: 'Can\'t sort by "nope": no such attribute.' } });
		const noClass = await fetch(`${server.url}/api/cmdb/export.csv`, { headers: { cookie: admin } });
		expect(noClass.status).toBe(400);

		// the tRPC import works on the built server too, with a file larger than adapter-node's default body limit
		const rows = ['name,assetTag,notes'];
		for (let i = 0; i < 3000; i++) rows.push(`big-${i},BIG-${i},${'x'.repeat(200)}`);
		const parse = await trpcCall(
			server.url,
			admin,
			'cmdb.import.parse',
			{ class: 'Computer', csv: rows.join('\n') },
			'mutation'
		);
		expect(parse.status).toBe(200);
		expect(parse.body.result?.data).toMatchObject({ rowCount: 3000 });
	});
});

describe.skipIf(!kinds.includes('postgres'))(
	'CSV import and export with the CLI on PostgreSQL (DATABASE_URL)',
	() => {
		let pgdb: Awaited<ReturnType<typeof freshPostgres>>;
		let dir: string;
		const run = (args: string[]) =>
			spawnSync(process.execPath, [path.join(ROOT, 'build', 'cli.js'), ...args], {
				cwd: dir,
				encoding: 'utf8',
				env: { ...process.env, DATABASE_URL: pgdb.url, FLEETDESK_DATA_DIR: path.join(dir, 'unused') }
			});

		beforeAll(async () => {
			pgdb = await freshPostgres();
			dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-csv-pg-'));
		});
		afterAll(async () => {
			await pgdb?.drop();
			fs.rmSync(dir, { recursive: true, force: true });
		});

		it('opens the database directly: imports, re-imports as unchanged, exports', () => {
			fs.copyFileSync(path.join(FIXTURES, 'bom-semicolon.csv'), path.join(dir, 'office.csv'));
			const first = run(['cmdb', 'import', 'office.csv', '--class', 'Computer', '--key', 'assetTag']);
			// stderr may carry node-postgres's "already executing a query" deprecation warning from start-up
			expect(first.stderr).not.toMatch(/line \d|Ignored|Nothing/);
			expect(first.status).toBe(0);
			expect(first.stdout).toContain('inserted 3, updated 0, unchanged 0');
			// the key remembered for the class is the default next time
			const again = run(['cmdb', 'import', 'office.csv', '--class', 'Computer']);
			expect(again.stdout).toContain('inserted 0, updated 0, unchanged 3');
			const out = run(['cmdb', 'export', '--class', 'Computer', '--columns', 'assetTag,notes']);
			expect(out.status).toBe(0);
			const csv = parseCsv(out.stdout);
			expect(csv.rows.map((r) => r.fields.slice(2))).toEqual([
				['büro-01', 'AT-7001', 'Desk 4; under the window\nsecond line'],
				['büro-02', 'AT-7002', 'Says "hello"'],
				['büro-03', 'AT-7003', '']
			]);
			const bad = run(['cmdb', 'import', 'missing.csv', '--class', 'Computer']);
			expect(bad.status).toBe(1);
			expect(bad.stderr).toMatch(/Can't read .*missing\.csv: there is no such file/);
			const usage = run(['cmdb', 'frobnicate']);
			expect(usage.status).toBe(2);
			expect(usage.stderr).toContain('cmdb import FILE.csv --class NAME');
		});
	}
);
