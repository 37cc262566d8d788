// Benchmark B1: thousands of agents on one node. `fleetdesk-agent simulate` runs N virtual agents (real
// enrolment, a real mutual-TLS link each) against the built server; a probe preloaded into the server
// (probe/server-probe.mjs) reads its memory after a full GC, its CPU time and its event-loop delay from the
// inside. Measured: memory per agent, CPU while the links are idle, event-loop delay p99, and the time for
// every agent to be back after a server restart. Baseline, same run, same client certificates: a bare
// WebSocket-over-TLS server (`ws`, mutual TLS, no application protocol) holding as many connections.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { freshPostgres, postgresReachable } from '../helpers/db';
import { buildAgent, tempDir } from '../helpers/agents';
import { ADMIN_PASSWORD, ROOT, signIn, trpcCall } from '../helpers/server';
import { startSimulation, type RunningSimulation } from '../helpers/simulate';
import { startBenchServer, startProbed, type ProbeReading } from './probe/process';

const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const SETTLE_SECONDS = 15;
/** What `fleetdesk-agent run` uses unless configured: the restart is timed with these. */
const DEFAULT_BACKOFF = { baseMs: 1000, capMs: 60_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kib = (bytes: number) => bytes / 1024;

export interface B1Side {
	/** RSS after a full GC, before and after the connections, bytes. */
	rssBefore: number;
	rssAfter: number;
	perConnKb: number;
	heapPerConnKb: number;
	idleCpuPct: number;
	lagP99Ms: number;
	lagMaxMs: number;
}

export interface B1Result {
	kind: 'postgres' | 'pglite';
	agents: number;
	skipped?: string;
	enrolSeconds?: number;
	connectSeconds?: number;
	server?: B1Side;
	baseline?: B1Side;
	ratio?: number;
	restart?: { stopToReadyMs: number; readyToAllOnlineMs: number; lagP99Ms: number; lagMaxMs: number };
	simulatorRssPerAgentKb?: number;
	loadAverage: string;
}

function rssOf(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Memory per connection: the growth from half the connections to all of them, after a full GC each time, so
 * what a fresh process gives back or grows at start-up does not count. Then idle CPU and event-loop delay over
 * IDLE_SECONDS.
 */
async function measureSide(
	probe: (k: 'read' | 'reset' | 'gc') => Promise<ProbeReading>,
	half: ProbeReading,
	halfCount: number,
	total: number
): Promise<B1Side> {
	const after = await probe('gc');
	const t0 = await probe('reset');
	await sleep(IDLE_SECONDS * 1000);
	const t1 = await probe('read');
	const added = total - halfCount;
	return {
		rssBefore: half.rss,
		rssAfter: after.rss,
		perConnKb: kib(after.rss - half.rss) / added,
		heapPerConnKb: kib(after.heapUsed + after.external - half.heapUsed - half.external) / added,
		idleCpuPct: ((t1.cpuUs - t0.cpuUs) / 1000 / (t1.at - t0.at)) * 100,
		lagP99Ms: t1.lag.p99,
		lagMaxMs: t1.lag.max
	};
}

function selfSignedServerCert(dir: string): { key: string; cert: string } {
	const key = path.join(dir, 'baseline.key');
	const cert = path.join(dir, 'baseline.crt');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:prime256v1',
			'-nodes',
			'-keyout',
			key,
			'-out',
			cert,
			'-days',
			'1',
			'-subj',
			'/CN=localhost'
		],
		{ stdio: 'ignore' }
	);
	return { key, cert };
}

/** Opens one mutual-TLS WebSocket per identity in `dirs`, at most 100 handshakes at a time. */
async function openBaselineClients(port: number, dirs: string[]): Promise<WebSocket[]> {
	const sockets: WebSocket[] = [];
	let next = 0;
	const worker = async () => {
		while (next < dirs.length) {
			const d = dirs[next++];
			const ws = new WebSocket(`wss://127.0.0.1:${port}/`, {
				key: fs.readFileSync(path.join(d, 'agent.key')),
				cert: fs.readFileSync(path.join(d, 'agent.crt')),
				rejectUnauthorized: false
			});
			await new Promise<void>((resolve, reject) => {
				ws.once('open', () => resolve());
				ws.once('error', reject);
			});
			ws.on('error', () => {});
			sockets.push(ws);
		}
	};
	await Promise.all(Array.from({ length: 100 }, worker));
	return sockets;
}

export async function benchAgentsB1(
	kind: 'postgres' | 'pglite',
	agents = Number(process.env.BENCH_AGENTS ?? 2000)
): Promise<B1Result> {
	const loadAverage = os
		.loadavg()
		.map((l) => l.toFixed(1))
		.join(', ');
	if (kind === 'postgres' && !(await postgresReachable()))
		return { kind, agents, loadAverage, skipped: 'PostgreSQL is not reachable' };
	buildAgent();
	const pgdb = kind === 'postgres' ? await freshPostgres() : null;
	const env: Record<string, string> = pgdb ? { DATABASE_URL: pgdb.url } : {};
	const ids = tempDir('fleetdesk-b1-');
	let server = await startBenchServer(env);
	const sims: RunningSimulation[] = [];
	const say = (s: string) => console.log(`B1 ${kind}: ${s}`);
	try {
		const cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const call = async <T>(p: string, input: unknown) => {
			const r = await trpcCall(server.url, cookie, p, input, 'mutation');
			if (r.status !== 200) throw new Error(`${p}: ${JSON.stringify(r.body)}`);
			return r.body.result!.data as T;
		};
		const groupId = (await call<{ id: number }>('groups.create', { name: 'b1' })).id;
		const { token } = await call<{ token: string }>('agents.tokens.create', {
			groupId,
			ttlSeconds: 7200,
			uses: agents
		});
		// Two halves (host names b1a-… and b1b-…), one simulator process each: memory is measured from one
		// half to both.
		const half = Math.floor(agents / 2);
		const halves = [
			{ prefix: 'b1a', count: half },
			{ prefix: 'b1b', count: agents - half }
		];
		const simOpts = (h: (typeof halves)[number]) => ({
			server: `https://127.0.0.1:${server.agentPort}`,
			count: h.count,
			dir: ids,
			config: { reconnect: DEFAULT_BACKOFF },
			nodeArgs: ['--max-old-space-size=8192'],
			// Idle links: no inventory or metrics reports, only what keeps a link alive.
			args: [
				'--prefix',
				h.prefix,
				'--modules',
				'tasks',
				'--rate',
				'200',
				'--status-seconds',
				'30',
				'--source-net',
				h.prefix === 'b1a' ? '127.100.0.0/16' : '127.101.0.0/16'
			]
		});
		const allOf = (h: (typeof halves)[number]) => new RegExp(`all ${h.count} agents online`);

		// 1. Enrol every virtual agent (identities kept in `ids`), then stop them.
		let t = Date.now();
		for (const h of halves) {
			const s = startSimulation({ ...simOpts(h), token });
			sims.push(s);
			await s.waitFor(allOf(h), 3600_000);
		}
		const enrolSeconds = (Date.now() - t) / 1000;
		say(`${agents} enrolled and online in ${enrolSeconds.toFixed(0)} s`);
		while (sims.length) await sims.pop()!.stop();

		// 2. A fresh server process; one half connects, then the other.
		const again = { port: server.port, agentPort: server.agentPort, dataDir: server.dataDir };
		await server.stop();
		server = await startBenchServer(env, again);
		t = Date.now();
		let halfReading: ProbeReading | null = null;
		for (const h of halves) {
			const s = startSimulation(simOpts(h));
			sims.push(s);
			await s.waitFor(allOf(h), 1800_000);
			if (!halfReading) {
				await sleep(SETTLE_SECONDS * 1000);
				halfReading = await server.probe('gc');
			}
		}
		const connectSeconds = (Date.now() - t - SETTLE_SECONDS * 1000) / 1000;
		say(`${agents} links up; settling`);
		await sleep(SETTLE_SECONDS * 1000);
		const srv = await measureSide((k) => server.probe(k), halfReading!, half, agents);
		const simulatorRssPerAgentKb = sims.reduce((n, s) => n + kib(rssOf(s.proc.pid!)), 0) / agents;
		say(
			`server ${srv.perConnKb.toFixed(1)} KiB/agent, idle CPU ${srv.idleCpuPct.toFixed(1)} %, lag p99 ${srv.lagP99Ms.toFixed(1)} ms`
		);

		// 3. Restart the server (SIGTERM, start again on the same ports and data): time until all are back.
		const marks = sims.map((s) => s.output().length);
		const tStop = Date.now();
		await server.stop();
		server = await startBenchServer(env, again);
		const tReady = Date.now();
		await server.probe('reset');
		const backs = await Promise.all(sims.map((s, i) => s.waitFor(allOf(halves[i]), 600_000, marks[i])));
		const storm = await server.probe('read');
		const restart = {
			stopToReadyMs: tReady - tStop,
			readyToAllOnlineMs: Math.max(...backs) - tReady,
			lagP99Ms: storm.lag.p99,
			lagMaxMs: storm.lag.max
		};
		say(`restart: ready after ${restart.stopToReadyMs} ms, all back ${restart.readyToAllOnlineMs} ms later`);
		while (sims.length) await sims.pop()!.stop();
		await server.stop();

		// 4. Baseline: a bare ws + TLS server holding as many mutual-TLS connections.
		const dirs = fs
			.readdirSync(ids)
			.filter((d) => /^b1[ab]-\d+$/.test(d))
			.map((d) => path.join(ids, d));
		const { key, cert } = selfSignedServerCert(ids);
		const base = startProbed(
			[
				path.join(ROOT, 'tests', 'bench', 'probe', 'ws-baseline.mjs'),
				key,
				cert,
				path.join(dirs[0], 'ca.crt')
			],
			{}
		);
		const port = Number((await base.waitFor(/listening \d+/)).split(' ')[1]);
		const sockets = await openBaselineClients(port, dirs.slice(0, half));
		await sleep(SETTLE_SECONDS * 1000);
		const baseHalf = await base.probe('gc');
		sockets.push(...(await openBaselineClients(port, dirs.slice(half))));
		await sleep(SETTLE_SECONDS * 1000);
		const baseline = await measureSide((k) => base.probe(k), baseHalf, half, sockets.length);
		for (const s of sockets) s.terminate();
		await base.stop();
		say(`baseline ${baseline.perConnKb.toFixed(1)} KiB/connection`);

		return {
			kind,
			agents,
			loadAverage,
			enrolSeconds,
			connectSeconds,
			server: srv,
			baseline,
			ratio: srv.perConnKb / baseline.perConnKb,
			restart,
			simulatorRssPerAgentKb
		};
	} finally {
		for (const s of sims) await s.stop();
		await server.stop();
		await pgdb?.drop();
		fs.rmSync(ids, { recursive: true, force: true });
	}
}
