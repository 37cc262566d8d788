// What the inventory benchmarks (inventory-b8.ts, inventory-batch.ts) share: a migrated, seeded database of
// either kind, enrolled synthetic hosts whose reports the agent's own code plans, applying the reports as the
// gateway does, and counting the rows a round wrote in the CMDB tables (PostgreSQL: pg_stat_user_tables;
// PGlite: a checksum of every row, before and after).
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
import { inventorySchema, type Inventory } from '../../src/lib/protocol/inventory';
import { planReport, type SectionHashes } from '../../agent/src/modules/inventory/report';
import { inventoryAt, makeProfile, type Profile } from '../../agent/src/simulate/profile';
import { choosePackages } from '../../agent/src/simulate/software';
import { seeded } from '../../agent/src/simulate/rng';
import { freshPostgres } from '../helpers/db';

const CMDB_TABLES = ['cmdb_cis', 'cmdb_relations', 'cmdb_history'];

export type BenchKind = 'postgres' | 'pglite';

export function loadAverage(): string {
	return os
		.loadavg()
		.map((l) => l.toFixed(1))
		.join(', ');
}

/** The benchmark's database: a fresh PostgreSQL database, or PGlite in a temporary directory. */
export interface BenchDatabase {
	database: Database;
	/** On PostgreSQL, a fresh pool: closing the old one makes every backend flush its statistics. */
	refresh(): Promise<void>;
	/** What the CMDB tables hold now, for rowsSince(). */
	mark(): Promise<RowsMark>;
	/** Rows inserted, updated or deleted in the CMDB tables since `before`; in all tables on PostgreSQL. */
	rowsSince(before: RowsMark): Promise<{ rows: number; allRows: number | null }>;
	/** Closes it and removes it; `quiet`: an error closing it is ignored. */
	dispose(quiet?: boolean): Promise<void>;
}

type RowsMark = { cmdb: number; all: number } | Map<string, string>;

export async function openBenchDatabase(kind: BenchKind, tmpPrefix: string): Promise<BenchDatabase> {
	const pgdb = kind === 'postgres' ? await freshPostgres() : null;
	const dir = kind === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix)) : null;
	const open = () => openDatabase({ databaseUrl: pgdb?.url, dataDir: dir ?? 'memory://' });
	const b: BenchDatabase = {
		database: await open(),
		async refresh() {
			if (!pgdb) return;
			await b.database.close();
			b.database = await open();
		},
		mark: () => (pgdb ? pgCounts(pgdb.url) : cmdbSnapshot(b.database)),
		async rowsSince(before) {
			if (!pgdb)
				return {
					rows: differing(before as Map<string, string>, await cmdbSnapshot(b.database)),
					allRows: null
				};
			await b.refresh();
			const after = await pgCounts(pgdb.url);
			const was = before as { cmdb: number; all: number };
			return { rows: after.cmdb - was.cmdb, allRows: after.all - was.all };
		},
		async dispose(quiet = false) {
			if (quiet) await b.database.close().catch(() => {});
			else await b.database.close();
			await pgdb?.drop();
			if (dir) fs.rmSync(dir, { recursive: true, force: true });
		}
	};
	return b;
}

/** Migrates and seeds (access and the default CMDB model) as the server's first start does. */
export async function seedBenchDatabase(database: Database): Promise<void> {
	await migrate(database);
	await seedAccess(database.db);
	await seedCmdb(database.db);
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

export interface BenchHost {
	id: string;
	p: Profile;
	inv: Inventory;
	seq: number;
}

/**
 * `count` synthetic hosts with 300 packages each, enrolled as enrolment leaves them (device and agent rows;
 * their Device CI comes with the first inventory). `tag` names their profiles and certificate serials.
 */
export async function enrolledHosts(database: Database, count: number, tag: string): Promise<BenchHost[]> {
	const now = Date.now();
	const hosts = Array.from({ length: count }, (_, i) => {
		const p = makeProfile(tag, i + 1);
		p.packages = choosePackages(seeded(`${p.hostname}#${tag}`), 300);
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
				certSerial: `${tag}-${i + k}`,
				certFingerprint: `${tag}-${i + k}`,
				certNotAfter: new Date(now + 365 * 86_400_000)
			}))
		);
	}
	return hosts;
}

/** Each host's report body as its agent plans it: in full, or against the section hashes it sent last. */
export function planBodies(
	hosts: BenchHost[],
	sent: Map<string, SectionHashes | null>,
	inventoryOf: (h: BenchHost, i: number) => Inventory,
	full: boolean
): ReturnType<typeof planReport>['body'][] {
	return hosts.map((h, i) => {
		const plan = planReport(inventoryOf(h, i), full ? null : (sent.get(h.id) ?? null), {
			trigger: 'schedule'
		});
		sent.set(h.id, plan.hashes);
		return plan.body;
	});
}

/**
 * Applies each host's report through applyReport, `lanes` at a time (as the gateway applies different agents'
 * reports concurrently, each agent's one after another); a report refused is passed to `refused`.
 */
export async function applyReports(
	database: Database,
	hosts: BenchHost[],
	bodies: ReturnType<typeof planReport>['body'][],
	lanes: number,
	refused: (e: Error) => void
): Promise<void> {
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
				refused(e as Error);
			}
		}
	};
	await Promise.all(Array.from({ length: lanes }, lane));
}

export function withUpgrades(inv: Inventory, n: number): Inventory {
	return { ...inv, software: inv.software.map((s, i) => (i < n ? { ...s, version: `${s.version}.1` } : s)) };
}
