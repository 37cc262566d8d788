// Benchmark: CMDB reconciliation of a full inventory. 1,000 computers × 300 child records each (8 memory
// modules, 4 disks, 4 network adapters, 284 software installations drawn from a pool of 3,000 products):
// a first pass that creates everything, an unchanged pass (must write nothing), and a pass with 1% of the
// computers changed. Rows written are counted by reconcile() itself and checked against the database: on
// PostgreSQL the n_tup_ins + n_tup_upd + n_tup_del deltas of pg_stat_user_tables, on PGlite by comparing a
// checksum of every CI and relation row before and after, plus the history count. Baseline, same run and database: a plain multi-row INSERT of as many rows
// as the first pass wrote, into a table of the same shape (no indexes but the primary key).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { migrate, openDatabase, queryRows, type Database } from '../../src/server/db/client';
import { seedCmdb } from '../../src/server/cmdb/seed';
import { seedAccess } from '../../src/server/access/seed';
import { reconcile, type DiscoveredRecord, type ReconcileSpec } from '../../src/server/cmdb/reconcile';
import { freshPostgres, postgresReachable } from '../helpers/db';

const COMPUTERS = Number(process.env.BENCH_COMPUTERS ?? 1000);
const SOFTWARE_POOL = 3000;
const SOFTWARE_EACH = 284;
const ctx = { actor: { id: null, name: 'inventory' }, source: 'inventory' as const };

const SPEC: ReconcileSpec = {
	class: 'Device',
	key: 'agentId',
	missing: 'flag',
	scope: 'class',
	children: [
		{ domain: 'ItemMemory', class: 'Memory', identify: ['slot'], missing: 'flag' },
		{ domain: 'ItemStorage', class: 'Storage', identify: ['devicePath'], missing: 'flag' },
		{ domain: 'ItemNetworkAdapters', class: 'NetworkAdapter', identify: ['macAddress'], missing: 'delete' },
		{
			domain: 'SoftwareInstallations',
			class: 'SoftwareProduct',
			identify: ['name', 'productVersion'],
			missing: 'delete'
		}
	]
};

const hex = (n: number) => n.toString(16).padStart(2, '0');

function computer(c: number, changed = false): DiscoveredRecord {
	const software = [];
	for (let k = 0; k < SOFTWARE_EACH; k++) {
		const p = (c * 7 + k * 10) % SOFTWARE_POOL; // 284 distinct products per computer
		const upgraded = changed && k < 3;
		software.push({
			name: `pkg-${p}`,
			data: { productVersion: `${1 + (p % 5)}.${p % 17}.${upgraded ? 99 : p % 3}`, vendor: 'Debian' },
			relationData: { installDate: `2026-0${1 + (p % 9)}-1${p % 9}` }
		});
	}
	return {
		key: `agent-${c}`,
		name: `host-${c}`,
		data: {
			hostname: `host-${c}.example.net`,
			deviceType: 'server',
			os: 'Debian GNU/Linux',
			osVersion: changed ? '12.9' : '12.8',
			cpu: 'AMD EPYC 7763',
			cpuCores: 16,
			ramMb: 131072,
			managementIp: `10.${(c >> 16) & 255}.${(c >> 8) & 255}.${c & 255}`,
			serialNumber: `SN${100000 + c}`
		},
		children: {
			ItemMemory: Array.from({ length: 8 }, (_, i) => ({
				name: `DIMM${i}`,
				data: {
					slot: `DIMM${i}`,
					capacityMb: changed && i === 0 ? 32768 : 16384,
					memoryType: 'DDR4',
					speedMhz: 3200
				}
			})),
			ItemStorage: Array.from({ length: 4 }, (_, i) => ({
				name: `sd${'abcd'[i]}`,
				data: {
					devicePath: `/dev/sd${'abcd'[i]}`,
					capacityGb: 960,
					storageType: 'SSD',
					serialNumber: `D${c}-${i}`
				}
			})),
			ItemNetworkAdapters: Array.from({ length: 4 }, (_, i) => ({
				name: `eth${i}`,
				data: {
					macAddress: `02:00:${hex((c >> 8) & 255)}:${hex(c & 255)}:00:${hex(i)}`,
					interfaceName: `eth${i}`,
					speedMbps: 10000
				}
			})),
			SoftwareInstallations: software
		}
	};
}

const TABLES = ['cmdb_cis', 'cmdb_relations', 'cmdb_history'];

/** Rows inserted + updated + deleted in the CMDB tables, per PostgreSQL's statistics (flushed when the writers' connections close). */
async function pgChanges(url: string): Promise<number> {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		let last = -1;
		for (let i = 0; i < 40; i++) {
			const r = await c.query(
				`select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint as n from pg_stat_user_tables where relname = any($1)`,
				[TABLES]
			);
			const n = Number(r.rows[0].n);
			if (n === last) return n;
			last = n;
			await new Promise((res) => setTimeout(res, 500));
		}
		return last;
	} finally {
		await c.end();
	}
}

/**
 * On PGlite (no statistics collector to ask): a checksum of every CI and relation row and the history count,
 * so the rows that differ afterwards can be counted: inserted + deleted + changed rows, plus new history entries.
 */
interface Snapshot {
	rows: Map<string, string>;
	history: number;
}
async function snapshot(database: Database): Promise<Snapshot> {
	const rows = await queryRows<{ k: string; h: string }>(
		database.db,
		sql`select 'c' || id as k, md5(c::text) as h from cmdb_cis c
			union all select 'r' || id, md5(r::text) from cmdb_relations r`
	);
	const [{ n }] = await queryRows<{ n: number }>(
		database.db,
		sql`select count(*)::int as n from cmdb_history`
	);
	return { rows: new Map(rows.map((r) => [r.k, r.h])), history: n };
}
function rowsChanged(a: Snapshot, b: Snapshot): number {
	let n = b.history - a.history;
	for (const [k, h] of b.rows) if (a.rows.get(k) !== h) n++;
	for (const k of a.rows.keys()) if (!b.rows.has(k)) n++;
	return n;
}

export interface ReconcilePass {
	name: string;
	seconds: number;
	records: number;
	childRecords: number;
	recordsPerSecond: number;
	childRecordsPerSecond: number;
	rowsWritten: number;
	/** Rows changed per the database: PostgreSQL's statistics, or row checksums compared (PGlite). */
	measured: number;
	errors: number;
}

export interface ReconcileBench {
	kind: 'postgres' | 'pglite';
	computers: number;
	passes: ReconcilePass[];
	baseline: { rows: number; seconds: number; rowsPerSecond: number };
	skipped?: string;
}

export async function benchCmdbReconcile(kind: 'postgres' | 'pglite'): Promise<ReconcileBench> {
	if (kind === 'postgres' && !(await postgresReachable()))
		return {
			kind,
			computers: COMPUTERS,
			passes: [],
			baseline: { rows: 0, seconds: 0, rowsPerSecond: 0 },
			skipped: 'PostgreSQL not reachable'
		};
	const pgdb = kind === 'postgres' ? await freshPostgres() : null;
	const dir = kind === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'fd-bench-')) : null;
	const open = () => openDatabase({ databaseUrl: pgdb?.url, dataDir: dir ?? 'memory://' });
	let database = await open();
	try {
		await migrate(database);
		await seedAccess(database.db);
		await seedCmdb(database.db);

		const all = Array.from({ length: COMPUTERS }, (_, c) => computer(c));
		const childRecords = all.length * (8 + 4 + 4 + SOFTWARE_EACH);
		const passes: ReconcilePass[] = [];
		const pass = async (name: string, records: DiscoveredRecord[]) => {
			if (kind === 'postgres') {
				// A fresh pool per pass: closing it makes every backend flush its statistics.
				await database.close();
				database = await open();
			}
			const before = kind === 'postgres' ? await pgChanges(pgdb!.url) : await snapshot(database);
			const t0 = performance.now();
			const r = await reconcile(database.db, ctx, SPEC, records);
			const seconds = (performance.now() - t0) / 1000;
			let measured: number;
			if (kind === 'postgres') {
				await database.close();
				measured = (await pgChanges(pgdb!.url)) - (before as number);
				database = await open();
			} else measured = rowsChanged(before as Snapshot, await snapshot(database));
			if (r.errors.length)
				console.error(`${name}: ${r.errors.length} errors, first: ${JSON.stringify(r.errors[0])}`);
			const p: ReconcilePass = {
				name,
				seconds,
				records: records.length,
				childRecords,
				recordsPerSecond: records.length / seconds,
				childRecordsPerSecond: childRecords / seconds,
				rowsWritten: r.rowsWritten,
				measured,
				errors: r.errors.length
			};
			console.log(
				`  ${kind} ${name}: ${seconds.toFixed(1)} s, ${p.recordsPerSecond.toFixed(1)} computers/s, ${Math.round(p.childRecordsPerSecond)} child records/s, rows written ${r.rowsWritten} (database: ${measured}); ${JSON.stringify({ ...r, errors: undefined })}`
			);
			passes.push(p);
		};
		await pass('first pass', all);
		await pass('unchanged pass', all);
		const changedEvery = 100; // 1% of the computers
		await pass(
			'1% changed',
			all.map((rec, c) => (c % changedEvery === 0 ? computer(c, true) : rec))
		);

		// Baseline: a plain INSERT of as many rows as the first pass wrote, same database, one transaction.
		const rows = passes[0].rowsWritten;
		await database.db.execute(
			sql`create table bench_raw (id serial primary key, name text not null, data jsonb not null)`
		);
		const payload = JSON.stringify(
			Array.from({ length: 2000 }, (_, i) => ({
				name: `pkg-${i}`,
				data: { productVersion: `1.${i % 17}.0`, vendor: 'Debian', installDate: '2026-01-01' }
			}))
		);
		const t0 = performance.now();
		await database.db.transaction(async (t) => {
			for (let done = 0; done < rows; done += 2000)
				await t.execute(
					sql`insert into bench_raw (name, data) select name, data from jsonb_to_recordset(${payload}::jsonb) as x(name text, data jsonb) limit ${Math.min(2000, rows - done)}`
				);
		});
		const seconds = (performance.now() - t0) / 1000;
		console.log(`  ${kind} baseline: ${rows} rows INSERTed in ${seconds.toFixed(1)} s`);
		return {
			kind,
			computers: COMPUTERS,
			passes,
			baseline: { rows, seconds, rowsPerSecond: rows / seconds }
		};
	} finally {
		await database.close().catch(() => {});
		await pgdb?.drop();
		if (dir) fs.rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	for (const kind of (process.argv[2] ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[])
		console.log(JSON.stringify(await benchCmdbReconcile(kind), null, 1));
}
