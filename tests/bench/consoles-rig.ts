// The two set-ups the console benchmarks (B3–B6) compare, each ending in the same program in a real PTY
// (consoles-pty.mjs, kernel echo on, "F" floods):
//   Fleetdesk: viewers (socket.io-client on /desktop, a signed-in administrator, joined to the console) →
//              the built server (probed, tests/bench/probe) → its mutual-TLS link → a real enrolled agent →
//              node-pty → the program, and back through the broker and the access log.
//   baseline:  viewers (plain `ws` clients) → consoles-relay.mjs (a bare ws relay) → a wss link →
//              consoles-pty-agent.mjs (node-pty) → the same program, and back.
// Both have the same processes on the way: client, server-side process, agent-side process, PTY program.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import WebSocket from 'ws';
import type { Socket } from 'socket.io-client';
import { freshPostgres, PG_ADMIN_URL, postgresReachable } from '../helpers/db';
import { buildAgent, until, type RunningAgent } from '../helpers/agents';
import { ADMIN_PASSWORD, caller, ROOT, signIn } from '../helpers/server';
import { shellAgent } from '../helpers/consoles';
import { connectDesktop } from '../helpers/socket';
import { startBenchServer, startProbed, type BenchServer, type ProbedProcess } from './probe/process';

/** Ports of this benchmark (9600–9699 are the console benchmarks'). */
export const PORTS = { server: 9600, gateway: 9601, relayViewers: 9610, relayAgent: 9611 };
export const FLOOD_BYTES = Number(process.env.BENCH_FLOOD_MB ?? 64) * 2 ** 20;
const PTY_PROGRAM = path.join(ROOT, 'tests', 'bench', 'consoles-pty.mjs');
/** The PTY's command, the same on both sides. */
export const PTY_COMMAND = `stty raw echo; exec ${process.execPath} ${PTY_PROGRAM} ${FLOOD_BYTES}`;

/** One viewer, whichever side: what it received goes to `onData`. */
export interface Client {
	send(text: string): void;
	onData: ((data: Buffer) => void) | null;
	/** Stop (and start again) reading the TCP socket: a stalled viewer. */
	pause(): void;
	resume(): void;
	/** Fleetdesk: `console:behind` messages received. */
	behind: number;
	/** Fleetdesk: called on `console:behind` (the server stopped sending this viewer output). */
	onBehind: (() => void) | null;
	close(): void;
}

export interface Rig {
	name: 'fleetdesk' | 'baseline';
	clients(n: number): Promise<Client[]>;
	/** Processes whose CPU time is counted (server-side, agent-side). */
	pids(): number[];
	stop(): Promise<void>;
}

export interface FleetdeskRig extends Rig {
	server: BenchServer;
	agent: RunningAgent;
	consoleId: number;
	database: 'PostgreSQL' | 'PGlite';
	/** PostgreSQL: the backends serving the server's database right now (their CPU counts too). */
	backendPids(): Promise<number[]>;
	databaseUrl?: string;
}

function tcpOf(ws: WebSocket): net.Socket {
	return (ws as unknown as { _socket: net.Socket })._socket;
}

export async function backendsOf(databaseUrl: string): Promise<number[]> {
	const pg = (await import('pg')).default;
	const c = new pg.Client({ connectionString: PG_ADMIN_URL });
	await c.connect();
	try {
		const name = new URL(databaseUrl).pathname.slice(1);
		const r = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [name]);
		return r.rows.map((x) => x.pid);
	} finally {
		await c.end();
	}
}

export async function startFleetdesk(): Promise<FleetdeskRig> {
	buildAgent();
	const wantPg = (process.env.BENCH_CONSOLES_DB ?? 'postgres') === 'postgres' && (await postgresReachable());
	const pgdb = wantPg ? await freshPostgres() : null;
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-bench-consoles-'));
	const server = await startBenchServer(pgdb ? { DATABASE_URL: pgdb.url } : {}, {
		port: PORTS.server,
		agentPort: PORTS.gateway,
		dataDir
	});
	let agent: RunningAgent | null = null;
	try {
		const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const call = caller(server, admin);
		const groupId = (await call<{ id: number }>('groups.create', { name: 'bench' }, 'mutation')).id;
		const a = await shellAgent({ url: server.url, agentPort: server.agentPort }, admin, groupId);
		agent = a.agent;
		const { id: consoleId } = await call<{ id: number }>(
			'consoles.create',
			{
				name: 'bench-pty',
				deviceId: a.deviceId,
				target: { kind: 'shell', command: '/bin/sh', args: ['-c', PTY_COMMAND] }
			},
			'mutation'
		);
		await until(
			async () => (await call<{ state: string }>('consoles.get', { id: consoleId })).state === 'open',
			60_000
		);
		const running = agent;
		return {
			name: 'fleetdesk',
			server,
			agent: running,
			consoleId,
			database: pgdb ? 'PostgreSQL' : 'PGlite',
			databaseUrl: pgdb?.url,
			backendPids: () => (pgdb ? backendsOf(pgdb.url) : Promise.resolve([])),
			pids: () => [server.proc.pid!, running.proc.pid!],
			clients: async (n) => {
				const out: Client[] = [];
				for (let i = 0; i < n; i++) out.push(await fleetdeskClient(server.url, admin, consoleId));
				return out;
			},
			stop: async () => {
				await running.stop();
				await server.stop();
				await pgdb?.drop();
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		};
	} catch (e) {
		await agent?.stop();
		await server.stop();
		await pgdb?.drop();
		throw e;
	}
}

async function fleetdeskClient(url: string, cookie: string, consoleId: number): Promise<Client> {
	const socket: Socket = await connectDesktop(url, cookie);
	const c: Client = {
		onData: null,
		behind: 0,
		onBehind: null,
		send: (text) => void socket.emit('console:input', { consoleId, data: text }, () => {}),
		pause: () => tcp().pause(),
		resume: () => tcp().resume(),
		close: () => void socket.close()
	};
	const tcp = () => (socket.io.engine.transport as unknown as { ws: { _socket: net.Socket } }).ws._socket;
	socket.on('console:output', (m: { consoleId: number; data: Buffer }) => {
		if (m.consoleId === consoleId) c.onData?.(m.data);
	});
	socket.on('console:behind', () => {
		c.behind++;
		c.onBehind?.();
	});
	const ack = (await socket.timeout(30_000).emitWithAck('console:join', { consoleId })) as { ok: boolean };
	if (!ack.ok) throw new Error(`console:join: ${JSON.stringify(ack)}`);
	return c;
}

function selfSigned(dir: string): { key: string; cert: string } {
	const key = path.join(dir, 'relay.key');
	const cert = path.join(dir, 'relay.crt');
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

export async function startBaseline(): Promise<Rig> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-bench-relay-'));
	const { key, cert } = selfSigned(dir);
	const bench = path.join(ROOT, 'tests', 'bench');
	const relay: ProbedProcess = startProbed([
		path.join(bench, 'consoles-relay.mjs'),
		String(PORTS.relayViewers),
		String(PORTS.relayAgent),
		key,
		cert
	]);
	let ptyAgent: ProbedProcess | null = null;
	try {
		await relay.waitFor(/listening/, 30_000);
		ptyAgent = startProbed([
			path.join(bench, 'consoles-pty-agent.mjs'),
			String(PORTS.relayAgent),
			PTY_COMMAND
		]);
		await ptyAgent.waitFor(/ready/, 30_000);
		const agentProc = ptyAgent;
		return {
			name: 'baseline',
			pids: () => [relay.proc.pid!, agentProc.proc.pid!],
			clients: async (n) => {
				const out: Client[] = [];
				for (let i = 0; i < n; i++) out.push(await wsClient(`ws://127.0.0.1:${PORTS.relayViewers}/`));
				return out;
			},
			stop: async () => {
				await agentProc.stop();
				await relay.stop();
				fs.rmSync(dir, { recursive: true, force: true });
			}
		};
	} catch (e) {
		await ptyAgent?.stop();
		await relay.stop();
		throw e;
	}
}

async function wsClient(url: string): Promise<Client> {
	const ws = new WebSocket(url);
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
	});
	ws.on('error', () => {});
	const c: Client = {
		onData: null,
		behind: 0,
		onBehind: null,
		send: (text) => ws.send(text),
		pause: () => tcpOf(ws).pause(),
		resume: () => tcpOf(ws).resume(),
		close: () => ws.terminate()
	};
	ws.on('message', (d: Buffer) => c.onData?.(d));
	return c;
}

/** CPU time (user + system) of processes, in ms; processes gone meanwhile count 0. */
export function cpuMs(pids: number[]): number {
	const tick = 1000 / 100;
	let ms = 0;
	for (const pid of pids) {
		try {
			const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
			const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
			ms += (Number(rest[11]) + Number(rest[12])) * tick;
		} catch {
			// gone
		}
	}
	return ms;
}

export function rssBytes(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Waits until processes are quiet (under 10 % of a core for two quarter-seconds in a row, at most `maxMs`): a
 * server that showed a flood may still be committing and indexing its access log. Their CPU time so far.
 */
export async function untilQuiet(pids: () => Promise<number[]>, maxMs = 120_000): Promise<number> {
	const end = Date.now() + maxMs;
	let calm = 0;
	let last = cpuMs(await pids());
	while (calm < 2 && Date.now() < end) {
		await new Promise((r) => setTimeout(r, 250));
		const now = cpuMs(await pids());
		calm = now - last < 25 ? calm + 1 : 0;
		last = now;
	}
	return last;
}
