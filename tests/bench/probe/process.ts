// Processes under benchmark, with the in-process probe (server-probe.mjs) preloaded and an IPC channel to
// ask it for memory, CPU time and event-loop delay.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ADMIN_PASSWORD, ROOT, freePort } from '../../helpers/server';

export const PROBE = pathToFileURL(path.join(ROOT, 'tests', 'bench', 'probe', 'server-probe.mjs')).href;

export interface ProbeReading {
	at: number;
	rss: number;
	heapUsed: number;
	external: number;
	cpuUs: number;
	lag: { p50: number; p99: number; max: number; samples: number };
}

export interface ProbedProcess {
	proc: ChildProcess;
	output(): string;
	waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
	/** 'read': as is; 'reset': read, then start a new lag histogram; 'gc': full GC first, then reset. */
	probe(kind?: 'read' | 'reset' | 'gc'): Promise<ProbeReading>;
	stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startProbed(args: string[], env: Record<string, string> = {}): ProbedProcess {
	// BENCH_CPU_PROF=DIR: each process under benchmark writes a V8 CPU profile into DIR when it exits.
	const profile = process.env.BENCH_CPU_PROF
		? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
		: [];
	const proc = spawn(process.execPath, ['--expose-gc', ...profile, '--import', PROBE, ...args], {
		cwd: ROOT,
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe', 'ipc']
	});
	// Servers print a line per agent connection: keep only the recent output.
	let out = '';
	const onData = (d: Buffer) => {
		out += d;
		if (out.length > 2_000_000) out = out.slice(-500_000);
	};
	proc.stdout!.on('data', onData);
	proc.stderr!.on('data', onData);
	let nextId = 1;
	const pending = new Map<number, (r: ProbeReading) => void>();
	proc.on('message', (m: ProbeReading & { id: number }) => pending.get(m.id)?.(m));
	const exited = new Promise<void>((r) => proc.once('exit', () => r()));
	return {
		proc,
		output: () => out,
		waitFor: (re, timeoutMs = 120_000) =>
			new Promise((resolve, reject) => {
				const t0 = Date.now();
				const check = () => {
					const m = re.exec(out);
					if (m) return resolve(m[0]);
					if (proc.exitCode !== null) return reject(new Error(`process exited:\n${out.slice(-3000)}`));
					if (Date.now() - t0 > timeoutMs)
						return reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out.slice(-3000)}`));
					setTimeout(check, 50);
				};
				check();
			}),
		probe: (kind = 'read') =>
			new Promise((resolve, reject) => {
				const id = nextId++;
				const t = setTimeout(() => reject(new Error('the probe did not answer')), 30_000);
				pending.set(id, (r) => {
					clearTimeout(t);
					pending.delete(id);
					resolve(r);
				});
				proc.send({ probe: kind, id });
			}),
		stop: async (signal = 'SIGTERM') => {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
			await exited;
		}
	};
}

export interface BenchServer extends ProbedProcess {
	url: string;
	agentPort: number;
	dataDir: string;
}

/** The built server (build/server.js) with the probe; `ports` and `dataDir` given again on a restart. */
export async function startBenchServer(
	env: Record<string, string>,
	again?: { port: number; agentPort: number; dataDir: string }
): Promise<BenchServer & { port: number }> {
	const port = again?.port ?? (await freePort());
	const agentPort = again?.agentPort ?? (await freePort());
	const dataDir = again?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-bench-'));
	const p = startProbed([path.join(ROOT, 'build', 'server.js')], {
		PORT: String(port),
		HOST: '127.0.0.1',
		FLEETDESK_DATA_DIR: dataDir,
		FLEETDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
		DATABASE_URL: '',
		FLEETDESK_AGENT_PORT: String(agentPort),
		FLEETDESK_SECRET: 'fleetdesk-integration-tests-master-key-0001',
		FLEETDESK_NODE_ID: 'bench-node',
		...env
	});
	await p.waitFor(/is running at/);
	return { ...p, url: `http://127.0.0.1:${port}`, port, agentPort, dataDir };
}
