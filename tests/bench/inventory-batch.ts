// Inventories through the server's real path, store step and batch worker: each report goes through
// applyReport (the (agent, sequence) check and the `inventory` report handler in one transaction, as the agent
// gateway applies it: decode, hash check, store, queue) while this node's reconciliation worker runs as the
// gateway starts it (woken by each stored report, batches of up to 100 hosts per reconcile() call). A round
// ends when every report is applied AND nothing is left pending, so per-second figures include the CMDB work.
// Reports are planned by the agent's own code from `simulate`'s synthetic machines, 300 packages each, every
// host different. Rounds as in B8: full; unchanged (hashes only); unchanged sent in full (agent restart); 1% of
// the hosts changed (3 upgrades each); every host with 1% of its packages upgraded. "Rows written": the CMDB
// tables' rows inserted, updated or deleted (PostgreSQL: pg_stat_user_tables; PGlite: a checksum of every row).
//
//   npx tsx tests/bench/inventory-batch.ts [postgres,pglite] [hosts]      (BENCH_INV_STREAMS=8: concurrent links)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { migrate, openDatabase, queryRows, type Database } from '../../src/server/db/client';
import { seedCmdb } from '../../src/server/cmdb/seed';
import { seedAccess } from '../../src/server/access/seed';
import { agents, devices } from '../../src/server/db/schema';
import { applyReport } from '../../src/server/agents/reports';
import { pendingHosts, startInventoryWorker, type WorkerStats } from '../../src/server/inventory';
import { inventorySchema, type Inventory } from '../../src/lib/protocol/inventory';
import { planReport, type SectionHashes } from '../../agent/src/modules/inventory/report';
import { inventoryAt, makeProfile } from '../../agent/src/simulate/profile';
import { choosePackages } from '../../agent/src/simulate/software';
import { seeded } from '../../agent/src/simulate/rng';
import { freshPostgres, postgresReachable } from '../helpers/db';

const CMDB_TABLES = ['cmdb_cis', 'cmdb_relations', 'cmdb_history'];

export interface BatchPass {
	reports: number;
	/** Until every report is applied and nothing is pending. */
	ms: number;
	perSecond: number;
	/** Until every report is applied (the store step alone, the worker running alongside). */
	storedMs: number;
	storedPerSecond: number;
	/** Rows inserted, updated or deleted in the CMDB tables. */
	rows: number;
	/** In every table (the inventory store, agents.last_seq, events); PostgreSQL only. */
	allRows: number | null;
	errors: number;
	worker: WorkerStats;
}

export interface BatchBenchResult {
	kind: 'postgres' | 'pglite';
	hosts: number;
	streams: number;
	loadAverage: string;
	skipped?: string;
	passes?: Record<string, BatchPass>;
}

async function pgCounts(url: string): Promise<{ cmdb: number; all: number }> {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		let last = '';
		// Statistics reach pg_stat_user_tables a moment after the backends flush them: wait until steady.
		for (let i = 0; i < 40; i++) {
			const r = await c.query(
				`select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del) filter (where relname = any($1)), 0)::bigint as cmdb,
				        coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint as all from pg_stat_user_tables`,
				[CMDB_TABLES]
			);
			const now = `${r.rows[0].cmdb}/${r.rows[0].all}`;
			if (now === last) return { cmdb: Number(r.rows[0].cmdb), all: Number(r.rows[0].all) };
			last = now;
			await new Promise((res) => setTimeout(res, 700));
		}
		const [cmdb, all] = last.split('/').map(Number);
		return { cmdb, all };
	} finally {
		await c.end();
	}
}

async function cmdbSnapshot(database: Database): Promise<Map<string, string>> {
	const rows = await queryRows<{ k: string; h: string }>(
		database.db,
		sql`select 'c' || id as k, md5(c::text) as h from cmdb_cis c
			union all select 'r' || id, md5(r::text) from cmdb_relations r
			union all select 'h' || id, md5(h::text) from cmdb_history h`
	);
	return new Map(rows.map((r) => [r.k, r.h]));
}
function differing(a: Map<string, string>, b: Map<string, string>): number {
	let n = 0;
	for (const [k, h] of b) if (a.get(k) !== h) n++;
	for (const k of a.keys()) if (!b.has(k)) n++;
	return n;
}

function withUpgrades(inv: Inventory, n: number): Inventory {
	return { ...inv, software: inv.software.map((s, i) => (i < n ? { ...s, version: `${s.version}.1` } : s)) };
}

export async function benchInventoryBatch(
	kind: 'postgres' | 'pglite',
	count = Number(process.env.BENCH_INV_HOSTS ?? 2000),
	streams = Number(process.env.BENCH_INV_STREAMS ?? 1)
): Promise<BatchBenchResult> {
	const loadAverage = os
		.loadavg()
		.map((l) => l.toFixed(1))
		.join(', ');
	if (kind === 'postgres' && !(await postgresReachable()))
		return { kind, hosts: count, streams, loadAverage, skipped: 'PostgreSQL is not reachable' };
	const pgdb = kind === 'postgres' ? await freshPostgres() : null;
	const dir = kind === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'fd-invb-')) : null;
	const open = () => openDatabase({ databaseUrl: pgdb?.url, dataDir: dir ?? 'memory://' });
	let database = await open();
	const say = (s: string) => console.log(`inventory-batch ${kind}: ${s}`);
	try {
		await migrate(database);
		await seedAccess(database.db);
		await seedCmdb(database.db);

		const now = Date.now();
		const hosts = Array.from({ length: count }, (_, i) => {
			const p = makeProfile('invb', i + 1);
			p.packages = choosePackages(seeded(`${p.hostname}#invb`), 300);
			return { id: crypto.randomUUID(), inv: inventorySchema.parse(inventoryAt(p, now)), seq: 0, p };
		});
		for (let i = 0; i < hosts.length; i += 500) {
			const batch = hosts.slice(i, i + 500);
			const devs = await database.db
				.insert(devices)
				.values(batch.map((h) => ({ name: h.p.hostname })))
				.returning({ id: devices.id });
			await database.db.insert(agents).values(
				batch.map((h, k) => ({
					id: h.id,
					hostname: h.p.hostname,
					deviceId: devs[k].id,
					certSerial: `invb-${i + k}`,
					certFingerprint: `invb-${i + k}`,
					certNotAfter: new Date(now + 365 * 86_400_000)
				}))
			);
		}

		// Experiments: BENCH_INV_BATCH (hosts per claim), BENCH_INV_CHUNK (child records per reconcile() transaction).
		const tuning = {
			...(process.env.BENCH_INV_BATCH ? { batch: Number(process.env.BENCH_INV_BATCH) } : {}),
			...(process.env.BENCH_INV_CHUNK ? { chunkChildren: Number(process.env.BENCH_INV_CHUNK) } : {})
		};
		const sent = new Map<string, SectionHashes | null>();
		const round = async (
			name: string,
			inventoryOf: (h: (typeof hosts)[number], i: number) => Inventory,
			full: boolean
		) => {
			if (kind === 'postgres') {
				// A fresh pool per round: closing it makes every backend flush its statistics.
				await database.close();
				database = await open();
			}
			const before = pgdb ? await pgCounts(pgdb.url) : await cmdbSnapshot(database);
			const bodies = hosts.map((h, i) => {
				const plan = planReport(inventoryOf(h, i), full ? null : (sent.get(h.id) ?? null), {
					trigger: 'schedule'
				});
				sent.set(h.id, plan.hashes);
				return plan.body;
			});
			// As the gateway starts it: woken by each stored report, polling as well. BENCH_INV_WORKER=after starts
			// it only once every report is stored, to see what each half costs alone.
			const after = process.env.BENCH_INV_WORKER === 'after';
			let worker = after
				? null
				: startInventoryWorker({ db: database.db, dbKind: kind, nodeId: 'bench' }, undefined, tuning);
			let errors = 0;
			let next = 0;
			const t0 = performance.now();
			// `streams` agents' links at once, each applying its reports one after another (as the gateway does).
			await Promise.all(
				Array.from({ length: streams }, async () => {
					for (let i = next++; i < hosts.length; i = next++) {
						const h = hosts[i];
						try {
							await applyReport(database.db, h.id, {
								agentId: h.id,
								seq: ++h.seq,
								kind: 'inventory',
								at: new Date().toISOString(),
								body: bodies[i]
							});
						} catch (e) {
							if (errors++ < 3) console.error(`inventory-batch ${kind} ${name}: ${(e as Error).message}`);
						}
					}
				})
			);
			const storedMs = performance.now() - t0;
			worker ??= startInventoryWorker({ db: database.db, dbKind: kind, nodeId: 'bench' }, undefined, tuning);
			await worker.drain();
			const ms = performance.now() - t0;
			await worker.stop();
			const left = await pendingHosts(database.db);
			if (left.count) say(`${name}: ${left.count} hosts still pending (failed records)`);
			let rows: number;
			let allRows: number | null = null;
			if (pgdb) {
				await database.close();
				database = await open();
				const after = await pgCounts(pgdb.url);
				const b = before as { cmdb: number; all: number };
				rows = after.cmdb - b.cmdb;
				allRows = after.all - b.all;
			} else rows = differing(before as Map<string, string>, await cmdbSnapshot(database));
			const pass: BatchPass = {
				reports: hosts.length,
				ms,
				perSecond: hosts.length / (ms / 1000),
				storedMs,
				storedPerSecond: hosts.length / (storedMs / 1000),
				rows,
				allRows,
				errors: errors + worker.stats.failed,
				worker: { ...worker.stats }
			};
			const s = worker.stats;
			say(
				`${name}: ${pass.perSecond.toFixed(1)}/s in all (${(ms / 1000).toFixed(1)} s; stored at ${pass.storedPerSecond.toFixed(1)}/s), ` +
					`${rows} CMDB rows${allRows !== null ? ` (${allRows} in all tables)` : ''}; worker: ${s.hosts} hosts in ${s.batches} batches ` +
					`(largest ${s.largestBatch}), ${s.calls} reconcile() calls, ${s.failed} failed, ${errors} refused`
			);
			return pass;
		};

		const passes: Record<string, BatchPass> = {};
		passes.full = await round('full', (h) => h.inv, true);
		passes.unchanged = await round('unchanged', (h) => h.inv, false);
		passes.unchangedFull = await round('unchanged, sent in full', (h) => h.inv, true);
		passes.delta = await round(
			'1% of the hosts changed',
			(h, i) => (i % 100 === 0 ? (h.inv = withUpgrades(h.inv, 3)) : h.inv),
			false
		);
		passes.deltaEvery = await round(
			'every host: 1% of its packages upgraded',
			(h) => (h.inv = withUpgrades(h.inv, 3)),
			false
		);
		return { kind, hosts: count, streams, loadAverage, passes };
	} finally {
		await database.close().catch(() => {});
		await pgdb?.drop();
		if (dir) fs.rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const count = process.argv[3] ? Number(process.argv[3]) : undefined;
	for (const kind of (process.argv[2] ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[]) {
		const r = await benchInventoryBatch(kind, count);
		console.log(
			JSON.stringify({
				...r,
				passes: Object.fromEntries(
					Object.entries(r.passes ?? {}).map(([k, p]) => [
						k,
						{ ...p, ms: Math.round(p.ms), storedMs: Math.round(p.storedMs) }
					])
				)
			})
		);
	}
}
