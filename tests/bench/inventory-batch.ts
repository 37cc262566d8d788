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
import { pendingHosts, startInventoryWorker, type WorkerStats } from '../../src/server/inventory';
import type { Inventory } from '../../src/lib/protocol/inventory';
import type { SectionHashes } from '../../agent/src/modules/inventory/report';
import { postgresReachable } from '../helpers/db';
import {
	applyReports,
	enrolledHosts,
	loadAverage as currentLoadAverage,
	openBenchDatabase,
	planBodies,
	seedBenchDatabase,
	withUpgrades,
	type BenchHost
} from './inventory-common';

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

export async function benchInventoryBatch(
	kind: 'postgres' | 'pglite',
	count = Number(process.env.BENCH_INV_HOSTS ?? 2000),
	streams = Number(process.env.BENCH_INV_STREAMS ?? 1)
): Promise<BatchBenchResult> {
	const loadAverage = currentLoadAverage();
	if (kind === 'postgres' && !(await postgresReachable()))
		return { kind, hosts: count, streams, loadAverage, skipped: 'PostgreSQL is not reachable' };
	const bench = await openBenchDatabase(kind, 'fd-invb-');
	const say = (s: string) => console.log(`inventory-batch ${kind}: ${s}`);
	try {
		await seedBenchDatabase(bench.database);

		const hosts = await enrolledHosts(bench.database, count, 'invb');
		// Experiments: BENCH_INV_BATCH (hosts per claim), BENCH_INV_CHUNK (child records per reconcile() transaction).
		const tuning = {
			...(process.env.BENCH_INV_BATCH ? { batch: Number(process.env.BENCH_INV_BATCH) } : {}),
			...(process.env.BENCH_INV_CHUNK ? { chunkChildren: Number(process.env.BENCH_INV_CHUNK) } : {})
		};
		const sent = new Map<string, SectionHashes | null>();
		const round = async (
			name: string,
			inventoryOf: (h: BenchHost, i: number) => Inventory,
			full: boolean
		) => {
			// On PostgreSQL a fresh pool per round: closing it makes every backend flush its statistics.
			await bench.refresh();
			const before = await bench.mark();
			const bodies = planBodies(hosts, sent, inventoryOf, full);
			// As the gateway starts it: woken by each stored report, polling as well. BENCH_INV_WORKER=after starts
			// it only once every report is stored, to see what each half costs alone.
			const after = process.env.BENCH_INV_WORKER === 'after';
			let worker = after
				? null
				: startInventoryWorker({ db: bench.database.db, dbKind: kind, nodeId: 'bench' }, undefined, tuning);
			let errors = 0;
			const t0 = performance.now();
			// `streams` agents' links at once, each applying its reports one after another (as the gateway does).
			await applyReports(bench.database, hosts, bodies, streams, (e) => {
				if (errors++ < 3) console.error(`inventory-batch ${kind} ${name}: ${e.message}`);
			});
			const storedMs = performance.now() - t0;
			worker ??= startInventoryWorker(
				{ db: bench.database.db, dbKind: kind, nodeId: 'bench' },
				undefined,
				tuning
			);
			await worker.drain();
			const ms = performance.now() - t0;
			await worker.stop();
			const left = await pendingHosts(bench.database.db);
			if (left.count) say(`${name}: ${left.count} hosts still pending (failed records)`);
			const { rows, allRows } = await bench.rowsSince(before);
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
		await bench.dispose(true);
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
