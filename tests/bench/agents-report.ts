// Runs benchmarks B1 (agents on one node) and B8 (inventory throughput) and writes their sections of
// docs/benchmarks.md. Called by scripts/bench.js (`npm run bench -- agents-b1 inventory-b8`).
import fs from 'node:fs';
import os from 'node:os';
import { benchAgentsB1, type B1Result } from './agents-b1';
import { benchInventoryB8, type B8Result } from './inventory-b8';

const DOC = 'docs/benchmarks.md';

function machine(load: string): string {
	const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
	const when = new Date().toISOString().slice(0, 10);
	return `Measured ${when} on ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at the start ${load}.`;
}

function writeSection(title: string, section: string): void {
	const re = new RegExp(`## ${title.replace(/[()]/g, '\\$&')}[\\s\\S]*?(?=\\n## |$)`);
	let d = fs.readFileSync(DOC, 'utf8');
	d = re.test(d) ? d.replace(re, () => section) : d.trimEnd() + '\n\n' + section;
	fs.writeFileSync(DOC, d);
	console.log(`${title} results written to ${DOC}`);
}

const ok = (b: boolean) => (b ? 'met' : '**missed**');
const f1 = (n: number) => n.toFixed(1);
const kindName = (k: string) => (k === 'postgres' ? 'PostgreSQL' : 'PGlite');

function b1Section(results: B1Result[]): string {
	const done = results.filter((r) => !r.skipped);
	const cols = results.map((r) => kindName(r.kind));
	const cell = (r: B1Result, f: (r: Required<B1Result>) => string) =>
		r.skipped ? `not measured: ${r.skipped}` : f(r as Required<B1Result>);
	const row = (
		what: string,
		f: (r: Required<B1Result>) => string,
		target: string,
		met?: (r: Required<B1Result>) => boolean
	) => {
		const verdict = met ? ok(done.length > 0 && done.every((r) => met(r as Required<B1Result>))) : '';
		const line = `| ${what} | ${results.map((r) => cell(r, f)).join(' | ')} | ${target} | ${verdict} |`;
		if (met)
			console.log(
				`${verdict === 'met' ? 'PASS' : 'MISS'}  B1 ${what}: ${results.map((r) => cell(r, f)).join('; ')}`
			);
		return line;
	};
	const n = results[0]?.agents ?? 0;
	const rows = [
		row(
			'Server memory per agent (RSS after a full GC)',
			(r) =>
				`${f1(r.server.perConnKb)} KiB (baseline ${f1(r.baseline.perConnKb)} KiB; ×${r.ratio.toFixed(2)})`,
			'≤ 1.5× baseline',
			(r) => r.ratio <= 1.5
		),
		row(
			'… of which JavaScript heap and external buffers',
			(r) => `${f1(r.server.heapPerConnKb)} KiB (baseline ${f1(r.baseline.heapPerConnKb)} KiB)`,
			''
		),
		row(
			'Idle CPU of the server process',
			(r) => `${r.server.idleCpuPct.toFixed(2)} % of a core (baseline ${r.baseline.idleCpuPct.toFixed(2)} %)`,
			'< 5 % of a core',
			(r) => r.server.idleCpuPct < 5
		),
		row(
			'Event-loop delay p99 while idle',
			(r) =>
				`${f1(r.server.lagP99Ms)} ms (max ${f1(r.server.lagMaxMs)} ms; baseline p99 ${f1(r.baseline.lagP99Ms)} ms)`,
			'< 20 ms',
			(r) => r.server.lagP99Ms < 20
		),
		row(
			'Restart (SIGTERM, start again): all agents back',
			(r) =>
				`${f1(r.restart.readyToAllOnlineMs / 1000)} s after the new process was ready (it took ${f1(r.restart.stopToReadyMs / 1000)} s to stop and start); delay p99 meanwhile ${f1(r.restart.lagP99Ms)} ms, max ${f1(r.restart.lagMaxMs)} ms`,
			''
		),
		row(
			'First connection of all agents (identities on disk, each half starting 200 a second)',
			(r) => `${f1(r.connectSeconds)} s`,
			''
		),
		row('Enrolment of all agents (8 at a time)', (r) => `${r.enrolSeconds.toFixed(0)} s`, ''),
		row('Simulator memory per virtual agent (RSS)', (r) => `${f1(r.simulatorRssPerAgentKb)} KiB`, '')
	];
	const load = results[0]?.loadAverage ?? '';
	const missed = rows.some((r) => r.includes('**missed**'));
	return `## Agents on one node (B1)

${n.toLocaleString('en')} virtual agents (\`fleetdesk-agent simulate --modules tasks\`, two processes of ${Math.floor(n / 2).toLocaleString('en')}) against the built server:
each enrols through \`POST /enroll\` with its own key pair, then holds its own mutual-TLS Socket.IO link through the
real gateway (hello, heartbeats every 30 s, Socket.IO pings every 10 s, lease renewal every 10 s). Idle means no
inventory or metrics reports. A probe preloaded into the server process (\`node --import
tests/bench/probe/server-probe.mjs\`, no change to the server) reads RSS and heap after a full GC, CPU time
(\`process.cpuUsage\`) and the event-loop delay histogram (\`perf_hooks.monitorEventLoopDelay\`, 10 ms
resolution subtracted) from inside. The agents run in two simulator processes of half each; memory per
agent is the server's RSS growth (after a full GC) from one half connected to both, divided by the second
half, so what a fresh process frees or grows at start-up does not count; idle CPU and delay over
${process.env.BENCH_IDLE_SECONDS ?? 30} s after a 15 s settle. The restart is a SIGTERM and a new process on the same ports and database, with the agents'
default backoff (full jitter, base 1 s, cap 60 s). Baseline, same run and client certificates: a bare
WebSocket server over TLS (\`ws\` with Node https, mutual TLS, no application protocol, no pings;
tests/bench/probe/ws-baseline.mjs) holding as many connections, measured the same way.

| Measure | ${cols.join(' | ')} | Target | |
| --- | ${cols.map(() => '---').join(' | ')} | --- | --- |
${rows.join('\n')}
${missed ? `\n${whyB1Misses()}\n` : ''}${n < 10_000 ? `\n${TEN_THOUSAND}\n` : ''}
${machine(load)}
`;
}

const TEN_THOUSAND = `10,000 agents (\`BENCH_AGENTS=10000 npm run bench -- agents-b1\`) fit this box: the simulator needs about
210 KiB per virtual agent (2 GiB), the server about 100 KiB per link, each process stays under the 20,000 open
files allowed here, and a join token allows up to 10,000 enrolments; the run takes about 25 minutes per database
(10 of them enrolling), so the numbers above are for 2,000.`;

/** What the B1 measurements point at (November 2026); shown while a target is missed. */
function whyB1Misses(): string {
	return `What the measurements point at (November 2026, after the gateway began dropping each link's HTTP request,
renewing leases linearly and bounding concurrent identity checks at 32). Memory: Socket.IO still adds about
10–15 KiB of JavaScript per link over the bare \`ws\` server (its Socket, Client and engine socket objects, the
room set, the gateway's listeners); the RSS measure varies between runs (a second run the same hour measured
×1.91 on PostgreSQL and ×1.29 on PGlite), so the memory target is met in some runs, not reliably. Idle CPU on
PGlite: the embedded database runs on the server's own thread, so the lease renewal (one UPDATE … RETURNING of
all links) counts there, on top of Socket.IO's pings (200 a second at a 10 s interval). A run with renewal every
15 s (45 s lease) and pings every 20 s measured 5.10 % instead of 5.17 %: within noise, so it was not kept; the
remaining cost is in PGlite and the per-link Socket.IO work, not in these intervals. Restart: all agents are back
within the full-jitter window; the event loop still stalls for up to a few seconds while the TLS handshakes
arrive (they run on the one thread).`;
}

function b8Section(results: B8Result[]): string {
	const cols = results.map((r) => kindName(r.kind));
	const cell = (r: B8Result, f: (r: Required<B8Result>) => string) =>
		r.skipped ? `not measured: ${r.skipped}` : f(r as Required<B8Result>);
	const done = results.filter((r) => !r.skipped) as Required<B8Result>[];
	const row = (
		what: string,
		f: (r: Required<B8Result>) => string,
		target: string,
		met?: (r: Required<B8Result>) => boolean
	) => {
		const verdict = met ? ok(done.length > 0 && done.every(met)) : '';
		if (met)
			console.log(
				`${verdict === 'met' ? 'PASS' : 'MISS'}  B8 ${what}: ${results.map((r) => cell(r, f)).join('; ')}`
			);
		return `| ${what} | ${results.map((r) => cell(r, f)).join(' | ')} | ${target} | ${verdict} |`;
	};
	const n = done[0]?.devices ?? 0;
	const pass = (p: B8Result['full']) =>
		p
			? `${p.perSecond.toFixed(1)}/s into the CMDB (${(p.ms / 1000).toFixed(1)} s; reports taken at ${p.acceptedPerSecond.toFixed(1)}/s); ${p.rows.toLocaleString('en')} CMDB rows written${p.errors || p.pending ? `; **${p.errors} errors, ${p.pending} hosts left pending**` : ''}`
			: '';
	const rows = [
		row(
			'Full inventories (first time)',
			(r) => pass(r.full),
			'≥ 33/s',
			(r) => r.full.perSecond >= 33
		),
		row(
			'Unchanged round (hashes only, as the agent sends it)',
			(r) => pass(r.unchanged),
			'0 CMDB rows written',
			(r) => r.unchanged.rows === 0
		),
		row(
			'Unchanged round, sent in full (an agent restarted)',
			(r) => pass(r.unchangedFull),
			'0 CMDB rows written',
			(r) => r.unchangedFull.rows === 0
		),
		row(
			'Deltas: 1% of the devices changed (3 package upgrades each)',
			(r) => pass(r.delta),
			'≥ 200/s',
			(r) => r.delta.perSecond >= 200
		),
		row(
			'Deltas: every device, 1% of its packages upgraded',
			(r) => pass(r.deltaEvery),
			'(≥ 200/s)',
			(r) => r.deltaEvery.perSecond >= 200
		),
		row(
			'Baseline: plan the same full reports (parse, hash, gzip), no database',
			(r) => `${Math.round(r.baselinePerSecond)}/s`,
			''
		)
	];
	return `## Inventory into the CMDB (B8)

${(n || 2000).toLocaleString('en')} enrolled devices (agent rows and devices in the database), their inventories sent through the
server's real path in-process: \`applyReport\` (the (agent, sequence) check and the report's effect in one
transaction, as the agent gateway applies it), the \`inventory\` report handler (decode, hash check, store, queue
the host), and the server's reconciliation worker, started as the gateway starts it, which takes queued hosts
into the CMDB in batches. A round's time runs from its first report until the worker has nothing left. Reports
are planned by the agent's own code (\`planReport\`) from \`simulate\`'s synthetic machines, each with exactly 300
software packages plus CPU, 4–16 memory modules, disks, partitions and network adapters; ${done[0]?.lanes ?? 1} report(s) at a
time. Rounds: every device's first, full inventory; the same again as the agent sends it when nothing changed
(hashes only) and in full (after an agent restart); deltas where 1% of the devices changed; deltas where every
device upgraded 3 of its 300 packages. CMDB rows written: PostgreSQL's n_tup_ins + n_tup_upd + n_tup_del of
cmdb_cis, cmdb_relations and cmdb_history, or on PGlite a checksum of every row of those tables, before and after.

| Measure | ${cols.join(' | ')} | Target | |
| --- | ${cols.map(() => '---').join(' | ')} | --- | --- |
${rows.join('\n')}
${rows.some((r) => r.includes('**missed**')) ? `\n${WHY_B8_MISSES}\n` : ''}
${machine(results[0]?.loadAverage ?? '')}
`;
}

/** What the B8 measurements point at (December 2026); shown while a target is missed. */
const WHY_B8_MISSES = `What the misses point at: since December a first inventory writes about 400 CMDB rows per device (its ~300
relations to software products, one history entry per CI per reconciliation pass instead of one per relation
on each end, its own CIs); on PGlite the relations' foreign keys are checked by one query per pass. What is
left is row writes inside the database engine. When every device changes 3 packages, each report rewrites the
host's whole stored software section and the worker reconciles the whole section to find the changed
relations; storing and diffing software per package would cut both. Numbers measured while other work shared
the machine are not comparable with the baseline of another run: compare each row with its own baseline.`;

export async function runAgentBenchmarks(which: string[]): Promise<void> {
	const kinds = (process.env.BENCH_DB ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[];
	if (which.includes('agents-b1')) {
		const results: B1Result[] = [];
		for (const k of kinds) results.push(await benchAgentsB1(k));
		writeSection('Agents on one node (B1)', b1Section(results));
	}
	if (which.includes('inventory-b8')) {
		const results: B8Result[] = [];
		for (const k of kinds) results.push(await benchInventoryB8(k));
		writeSection('Inventory into the CMDB (B8)', b8Section(results));
	}
}
