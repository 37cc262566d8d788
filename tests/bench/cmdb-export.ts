// Benchmark: CSV export of 10,000 CIs × 51 columns (id, class, name and 48 attributes: 24 text, 24 integer)
// on PostgreSQL, through prepareExport exactly as GET /api/cmdb/export.csv runs it, written to /dev/null.
// Baseline, same run, same database, same rows and order: `psql -c "\copy (select …) to stdout csv header"`
// to /dev/null (the psql process start is included; it is measured separately and reported).
// Setup: the class through model.ts, the CIs by direct SQL (search column as createCi computes it).
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { sql } from 'drizzle-orm';
import { migrate, openDatabase, type Database } from '../../src/server/db/client';
import { seedAccess } from '../../src/server/access/seed';
import { loadModel } from '../../src/server/cmdb/model';
import { addAttribute } from '../../src/server/cmdb/model-attributes';
import { createClass } from '../../src/server/cmdb/model-classes';
import { searchText } from '../../src/server/cmdb/cis';
import { prepareExport } from '../../src/server/cmdb/export';
import { freshPostgres, postgresReachable } from '../helpers/db';

const CIS = Number(process.env.BENCH_EXPORT_CIS ?? 10_000);
const ATTRS = 48;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const actor = { id: null, name: 'bench' };

export interface ExportBench {
	cis: number;
	columns: number;
	bytes: number;
	exportMs: number;
	psqlMs: number;
	psqlStartMs: number;
	ratio: number;
	identical: boolean;
	skipped?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const attrName = (j: number) => (j % 2 ? `count${j}` : `text${j}`);

async function setup(database: Database): Promise<number> {
	const db = database.db;
	await migrate(database);
	await seedAccess(db);
	const classId = await createClass(db, actor, { name: 'BenchExport' });
	for (let j = 0; j < ATTRS; j++)
		await addAttribute(
			db,
			actor,
			{ classId },
			{ name: attrName(j), type: j % 2 ? 'integer' : 'text', displayOrder: j }
		);
	const c = (await loadModel(db)).cls('BenchExport');
	for (let done = 0; done < CIS; done += 2000) {
		const rows = [];
		for (let i = done; i < Math.min(CIS, done + 2000); i++) {
			const data: Record<string, unknown> = {};
			for (let j = 0; j < ATTRS; j++)
				data[attrName(j)] =
					j % 2
						? (i * 7919 + j * 104_729) % 1_000_000
						: // a few values that need quoting, as real data has
							i % 50 === j
							? `rack ${i}, "row" ${j}`
							: `value-${i}-${j}`;
			const name = `ci-${String(i).padStart(6, '0')}`;
			rows.push({ class_id: classId, name, data, search_text: searchText(c, name, data) });
		}
		await db.execute(sql`
			insert into cmdb_cis (class_id, name, data, search)
			select class_id, name, data, to_tsvector('simple', search_text)
			from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(class_id int, name text, data jsonb, search_text text)`);
	}
	await db.execute(sql`analyze cmdb_cis`);
	return classId;
}

async function ourExport(database: Database, out: string): Promise<number> {
	const t0 = performance.now();
	const { chunks } = await prepareExport(database.db, { class: 'BenchExport' });
	const file = fs.createWriteStream(out);
	for await (const chunk of chunks) if (!file.write(chunk)) await once(file, 'drain');
	file.end();
	await once(file, 'finish');
	return performance.now() - t0;
}

function psql(url: string, command: string, out: string): number {
	const t0 = performance.now();
	const fd = fs.openSync(out, 'w');
	const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c', command], {
		stdio: ['ignore', fd, 'pipe']
	});
	fs.closeSync(fd);
	if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
	return performance.now() - t0;
}

export async function benchCmdbExport(): Promise<ExportBench> {
	const empty = {
		cis: CIS,
		columns: ATTRS + 3,
		bytes: 0,
		exportMs: 0,
		psqlMs: 0,
		psqlStartMs: 0,
		ratio: 0,
		identical: false
	};
	if (!(await postgresReachable())) return { ...empty, skipped: 'PostgreSQL not reachable' };
	if (spawnSync('psql', ['--version']).status !== 0) return { ...empty, skipped: 'psql not installed' };
	const pgdb = await freshPostgres();
	const database = await openDatabase({ databaseUrl: pgdb.url, dataDir: 'memory://' });
	try {
		const classId = await setup(database);
		const cols = Array.from(
			{ length: ATTRS },
			(_, j) => `coalesce(data->>'${attrName(j)}', '') as "${attrName(j)}"`
		);
		const copy = `\\copy (select id, 'BenchExport' as class, name, ${cols.join(', ')} from cmdb_cis where class_id = ${classId} order by name, id) to stdout with (format csv, header)`;

		// Same bytes? (to files first; the timed runs write to /dev/null)
		const ours = '/tmp/fleetdesk-bench-export.csv';
		const theirs = '/tmp/fleetdesk-bench-psql.csv';
		await ourExport(database, ours);
		psql(pgdb.url, copy, theirs);
		// psql writes LF line ends where we write RFC 4180's CRLF; otherwise the files must match.
		const a = fs.readFileSync(ours, 'utf8').replaceAll('\r\n', '\n');
		const b = fs.readFileSync(theirs, 'utf8');
		const identical = a === b;
		const bytes = fs.statSync(ours).size;
		fs.rmSync(ours);
		fs.rmSync(theirs);

		const exportRuns: number[] = [];
		const psqlRuns: number[] = [];
		const startRuns: number[] = [];
		for (let i = 0; i < RUNS + 1; i++) {
			const e = await ourExport(database, '/dev/null');
			const p = psql(pgdb.url, copy, '/dev/null');
			const s = psql(pgdb.url, 'select 1', '/dev/null');
			if (i === 0) continue; // warm-up
			exportRuns.push(e);
			psqlRuns.push(p);
			startRuns.push(s);
		}
		const exportMs = median(exportRuns);
		const psqlMs = median(psqlRuns);
		return {
			cis: CIS,
			columns: ATTRS + 3,
			bytes,
			exportMs: Math.round(exportMs),
			psqlMs: Math.round(psqlMs),
			psqlStartMs: Math.round(median(startRuns)),
			ratio: exportMs / psqlMs,
			identical
		};
	} finally {
		await database.close();
		await pgdb.drop();
	}
}
