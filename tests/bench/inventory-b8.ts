// Benchmark B8: inventories into the CMDB through the server's real path. Each report goes through
// applyReport (the (agent, sequence) check and the report's effect in one transaction, exactly as the agent
// gateway applies it) to the `inventory` report handler (decode, hash check, store, queue the host), and the
// server's reconciliation worker (started here as the gateway starts it) takes the queued hosts into the CMDB
// in batches; a round ends when nothing is left for it. The reports are planned by the agent's own code (planReport) from `simulate`'s synthetic machines,
// each with exactly 300 software packages. Rounds: every device's first, full inventory; the same again as the
// agent sends it when nothing changed (hashes only), and in full (an agent restart); a round where 1% of the
// devices changed (3 package upgrades each, the rest unchanged); a round where every device sends a delta with
// 1% of its packages upgraded. Rows written: PostgreSQL's n_tup_ins + n_tup_upd + n_tup_del, or on PGlite a
// checksum of every row of the CMDB tables, before and after.
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

const DEVICES = Number(process.env.BENCH_B8_DEVICES ?? 2000);
const CMDB_TABLES = ['cmdb_cis', 'cmdb_relations', 'cmdb_history'];
/** BENCH_B8_ROUNDS=full (comma-separated round names) runs only those rounds: for profiling one of them. */
const ROUNDS = process.env.BENCH_B8_ROUNDS?.split(',');
/** BENCH_B8_PROFILE=DIR writes a CPU profile of each round (this process: on PGlite, the database too). */
const PROFILE = process.env.BENCH_B8_PROFILE;

/** Starts the V8 profiler; the function returned stops it and writes the profile. */
async function profile(file: string): Promise<() => Promise<void>> {
	const { Session } = await import('node:inspector/promises');
	const s = new Session();
	s.connect();
	await s.post('Profiler.enable');
	await s.post('Profiler.start');
	return async () => {
		const { profile: p } = await s.post('Profiler.stop');
		fs.mkdirSync(path.dirname(file), { recursive: true });
		fs.writeFileSync(file, JSON.stringify(p));
		s.disconnect();
	};
}

export interface B8Pass {
	reports: number;
	/** From the first report until the CMDB holds everything (the worker has nothing left). */
	ms: number;
	perSecond: number;
	/** Reports the server acknowledged per second (stored, queued for the worker). */
	acceptedPerSecond: number;
	/** Hosts still waiting for the worker at the end (failed, in their retry wait). */
	pending: number;
	worker: WorkerStats;
	/** Rows inserted, updated or deleted in the CMDB tables. */
	rows: number;
	/** Rows written in any table (the inventory store, agents.last_seq, events); PostgreSQL only. */
	allRows: number | null;
	errors: number;
	/** CPU time of this process during the round (on PGlite the database's too): steadier than the wall clock on a shared machine. */
	cpuMs: number;
}

export interface B8Result {
	kind: 'postgres' | 'pglite';
	devices: number;
	/** Reports applied at once (different devices). */
	lanes: number;
	loadAverage: string;
	skipped?: string;
	full?: B8Pass;
	unchanged?: B8Pass;
	unchangedFull?: B8Pass;
	delta?: B8Pass;
	deltaEvery?: B8Pass;
	/** Parsing, hashing and planning the same full reports, no database: what the work costs at its core. */
	baselinePerSecond?: number;
}

async function pgCounts(url: string): Promise<{ cmdb: number; all: number }> {
	const c = new pg.Client({ connectionString: url });
	await c.connect();
	try {
		let last = '';
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

/** PGlite: a checksum per CMDB row; rows differing afterwards = inserted + updated + deleted. */
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
	return {
		...inv,
		software: inv.software.map((s, i) => (i < n ? { ...s, version: `${s.version}.1` } : s))
	};
}

export async function benchInventoryB8(
	kind: 'postgres' | 'pglite',
	count = DEVICES,
	lanes = Number(process.env.BENCH_B8_LANES ?? 1)
): Promise<B8Result> {
	const loadAverage = os
		.loadavg()
		.map((l) => l.toFixed(1))
		.join(', ');
	if (kind === 'postgres' && !(await postgresReachable()))
		return { kind, devices: count, lanes, loadAverage, skipped: 'PostgreSQL is not reachable' };
	const pgdb = kind === 'postgres' ? await freshPostgres() : null;
	const dir = kind === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'fd-b8-')) : null;
	const open = () => openDatabase({ databaseUrl: pgdb?.url, dataDir: dir ?? 'memory://' });
	let database = await open();
	const say = (s: string) => console.log(`B8 ${kind}: ${s}`);
	try {
		await migrate(database);
		await seedAccess(database.db);
		await seedCmdb(database.db);

		// Enrolled hosts, as enrolment leaves them (their Device CI comes with the first inventory here).
		const now = Date.now();
		const hosts = Array.from({ length: count }, (_, i) => {
			const p = makeProfile('b8', i + 1);
			p.packages = choosePackages(seeded(`${p.hostname}#b8`), 300);
			return { id: crypto.randomUUID(), p, inv: inventorySchema.parse(inventoryAt(p, now)), seq: 0 };
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
					certSerial: `b8-${i + k}`,
					certFingerprint: `b8-${i + k}`,
					certNotAfter: new Date(now + 365 * 86_400_000)
				}))
			);
		}

		const t0b = performance.now();
		for (const h of hosts)
			planReport(inventorySchema.parse(JSON.parse(JSON.stringify(h.inv))), null, { trigger: 'startup' });
		const baselinePerSecond = hosts.length / ((performance.now() - t0b) / 1000);

		const sent = new Map<string, SectionHashes | null>();
		const round = async (
			name: string,
			inventoryOf: (h: (typeof hosts)[number], i: number) => Inventory,
			full: boolean,
			id: string
		): Promise<B8Pass | undefined> => {
			if (ROUNDS && !ROUNDS.includes(id)) return undefined;
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
			let errors = 0;
			// The server's reconciliation worker, as the gateway starts it next to the report handler.
			const worker = startInventoryWorker({ db: database.db, dbKind: kind, nodeId: 'b8' });
			const stopProfile = PROFILE ? await profile(path.join(PROFILE, `${kind}-${id}.cpuprofile`)) : null;
			const t0 = performance.now();
			const cpu0 = process.cpuUsage();
			// `lanes` reports at a time, as the gateway applies different agents' reports concurrently.
			let next = 0;
			const lane = async () => {
				while (next < hosts.length) {
					const i = next++;
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
						if (errors++ < 3) console.error(`B8 ${kind} ${name}: ${(e as Error).message}`);
					}
				}
			};
			await Promise.all(Array.from({ length: lanes }, lane));
			const acceptedMs = performance.now() - t0;
			// Done when the CMDB has everything: nothing left for the worker.
			for (;;) {
				await worker.drain();
				const p = await pendingHosts(database.db);
				if (p.count === 0 || p.due === 0) break;
			}
			const ms = performance.now() - t0;
			const cpu = process.cpuUsage(cpu0);
			await stopProfile?.();
			await worker.stop();
			const pending = (await pendingHosts(database.db)).count;
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
			const pass: B8Pass = {
				reports: hosts.length,
				ms,
				perSecond: hosts.length / (ms / 1000),
				acceptedPerSecond: hosts.length / (acceptedMs / 1000),
				rows,
				allRows,
				errors,
				cpuMs: (cpu.user + cpu.system) / 1000,
				pending,
				worker: { ...worker.stats }
			};
			say(
				`${name}: ${pass.perSecond.toFixed(1)}/s into the CMDB (reports taken at ${pass.acceptedPerSecond.toFixed(1)}/s; ${(pass.cpuMs / hosts.length).toFixed(1)} ms CPU each), ${rows} CMDB rows written${allRows !== null ? ` (${allRows} in all tables)` : ''}, ${errors} errors, ${pending} left pending; worker ${JSON.stringify(worker.stats)}`
			);
			return pass;
		};

		const full = await round('full', (h) => h.inv, true, 'full');
		const unchanged = await round('unchanged', (h) => h.inv, false, 'unchanged');
		const unchangedFull = await round('unchanged, sent in full', (h) => h.inv, true, 'unchangedFull');
		const delta = await round(
			'1% of the devices changed',
			(h, i) => (i % 100 === 0 ? (h.inv = withUpgrades(h.inv, 3)) : h.inv),
			false,
			'delta'
		);
		const deltaEvery = await round(
			'every device: 1% of its packages upgraded',
			(h) => (h.inv = withUpgrades(h.inv, 3)),
			false,
			'deltaEvery'
		);
		return {
			kind,
			devices: count,
			lanes,
			loadAverage,
			full,
			unchanged,
			unchangedFull,
			delta,
			deltaEvery,
			baselinePerSecond
		};
	} finally {
		await database.close();
		await pgdb?.drop();
		if (dir) fs.rmSync(dir, { recursive: true, force: true });
	}
}
