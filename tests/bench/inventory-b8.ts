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
import fs from 'node:fs';
import path from 'node:path';
import { pendingHosts, startInventoryWorker, type WorkerStats } from '../../src/server/inventory';
import { inventorySchema, type Inventory } from '../../src/lib/protocol/inventory';
import { planReport, type SectionHashes } from '../../agent/src/modules/inventory/report';
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

const DEVICES = Number(process.env.BENCH_B8_DEVICES ?? 2000);
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

export async function benchInventoryB8(
	kind: 'postgres' | 'pglite',
	count = DEVICES,
	lanes = Number(process.env.BENCH_B8_LANES ?? 1)
): Promise<B8Result> {
	const loadAverage = currentLoadAverage();
	if (kind === 'postgres' && !(await postgresReachable()))
		return { kind, devices: count, lanes, loadAverage, skipped: 'PostgreSQL is not reachable' };
	const bench = await openBenchDatabase(kind, 'fd-b8-');
	const say = (s: string) => console.log(`B8 ${kind}: ${s}`);
	try {
		await seedBenchDatabase(bench.database);

		// Enrolled hosts, as enrolment leaves them (their Device CI comes with the first inventory here).
		const hosts = await enrolledHosts(bench.database, count, 'b8');
		const t0b = performance.now();
		for (const h of hosts)
			planReport(inventorySchema.parse(JSON.parse(JSON.stringify(h.inv))), null, { trigger: 'startup' });
		const baselinePerSecond = hosts.length / ((performance.now() - t0b) / 1000);

		const sent = new Map<string, SectionHashes | null>();
		const round = async (
			name: string,
			inventoryOf: (h: BenchHost, i: number) => Inventory,
			full: boolean,
			id: string
		): Promise<B8Pass | undefined> => {
			if (ROUNDS && !ROUNDS.includes(id)) return undefined;
			// On PostgreSQL a fresh pool per round: closing it makes every backend flush its statistics.
			await bench.refresh();
			const before = await bench.mark();
			const bodies = planBodies(hosts, sent, inventoryOf, full);
			let errors = 0;
			// The server's reconciliation worker, as the gateway starts it next to the report handler.
			const worker = startInventoryWorker({ db: bench.database.db, dbKind: kind, nodeId: 'b8' });
			const stopProfile = PROFILE ? await profile(path.join(PROFILE, `${kind}-${id}.cpuprofile`)) : null;
			const t0 = performance.now();
			const cpu0 = process.cpuUsage();
			// `lanes` reports at a time, as the gateway applies different agents' reports concurrently.
			await applyReports(bench.database, hosts, bodies, lanes, (e) => {
				if (errors++ < 3) console.error(`B8 ${kind} ${name}: ${e.message}`);
			});
			const acceptedMs = performance.now() - t0;
			// Done when the CMDB has everything: nothing left for the worker.
			for (;;) {
				await worker.drain();
				const p = await pendingHosts(bench.database.db);
				if (p.count === 0 || p.due === 0) break;
			}
			const ms = performance.now() - t0;
			const cpu = process.cpuUsage(cpu0);
			await stopProfile?.();
			await worker.stop();
			const pending = (await pendingHosts(bench.database.db)).count;
			const { rows, allRows } = await bench.rowsSince(before);
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
		await bench.dispose();
	}
}
