// Real agent processes (the bundled agent/dist/fleetdesk-agent.js) and the admin CLI, for the agent tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { ROOT, trpcCall } from './server';

export const AGENT_BUNDLE = path.join(ROOT, 'agent', 'dist', 'fleetdesk-agent.js');

let built = false;
/** Bundles the agent once per test process, exactly as `npm run build:agent` does. */
export function buildAgent(): string {
	if (built) return AGENT_BUNDLE;
	const r = spawnSync(process.execPath, [path.join(ROOT, 'agent', 'build.mjs')], {
		cwd: ROOT,
		encoding: 'utf8'
	});
	if (r.status !== 0) throw new Error(`agent build failed:\n${r.stdout}${r.stderr}`);
	built = true;
	return AGENT_BUNDLE;
}

export interface Exited {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs a process to completion without blocking the event loop (servers in this process keep answering). */
export function runProcess(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Exited> {
	return new Promise((resolve) => {
		const p = spawn(cmd, args, {
			cwd: ROOT,
			env: { ...process.env, ...env },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let stdout = '';
		let stderr = '';
		p.stdout.on('data', (d) => (stdout += d));
		p.stderr.on('data', (d) => (stderr += d));
		p.on('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

export function agentCmd(args: string[], env: Record<string, string> = {}): Promise<Exited> {
	return runProcess(process.execPath, [AGENT_BUNDLE, ...args], env);
}

/** The admin CLI (build/cli.js) against a server's database. */
export function cli(args: string[], env: Record<string, string>): Promise<Exited> {
	return runProcess(process.execPath, [path.join(ROOT, 'build', 'cli.js'), ...args], env);
}

export function tempDir(prefix = 'fleetdesk-agent-'): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `fleetdesk token create` prints the token on a line of its own. */
export function tokenFrom(stdout: string): string {
	const m = /(fdj1\.[a-z2-7]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43})/.exec(stdout);
	if (!m) throw new Error(`no token in: ${stdout}`);
	return m[1];
}

export interface RunningAgent {
	proc: ChildProcess;
	output(): string;
	/** Resolves with the time (ms) the first line matching `re` (after `from` chars of output) arrived. */
	waitFor(re: RegExp, timeoutMs?: number, from?: number): Promise<number>;
	send(line: string): void;
	exited: Promise<number | null>;
	stop(): Promise<number | null>;
}

export function startAgent(dir: string, config: object = {}, env: Record<string, string> = {}): RunningAgent {
	const configFile = path.join(dir, 'config.json');
	fs.writeFileSync(configFile, JSON.stringify({ debug: true, ...config }));
	const proc = spawn(process.execPath, [AGENT_BUNDLE, 'run', '--dir', dir, '--config', configFile], {
		cwd: ROOT,
		env: { ...process.env, FLEETDESK_AGENT_TEST_HOOKS: '1', ...env },
		stdio: ['pipe', 'pipe', 'pipe']
	});
	let out = '';
	const waiters: { re: RegExp; from: number; resolve: (t: number) => void }[] = [];
	const onData = (d: Buffer) => {
		out += d;
		const now = Date.now();
		for (const w of [...waiters])
			if (w.re.test(out.slice(w.from))) {
				waiters.splice(waiters.indexOf(w), 1);
				w.resolve(now);
			}
	};
	proc.stdout!.on('data', onData);
	proc.stderr!.on('data', onData);
	const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
	return {
		proc,
		output: () => out,
		waitFor: (re, timeoutMs = 10_000, from = 0) =>
			new Promise((resolve, reject) => {
				if (re.test(out.slice(from))) return resolve(Date.now());
				const timer = setTimeout(
					() => reject(new Error(`agent did not print ${re} within ${timeoutMs} ms:\n${out}`)),
					timeoutMs
				);
				waiters.push({
					re,
					from,
					resolve: (t) => {
						clearTimeout(timer);
						resolve(t);
					}
				});
			}),
		send: (line) => proc.stdin!.write(line + '\n'),
		exited,
		stop: async () => {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
			return exited;
		}
	};
}

export interface AgentFiles {
	key: string;
	cert: string;
	ca: string;
	agentId: string;
}

export function agentFiles(dir: string): AgentFiles {
	const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
	return {
		key: read('agent.key'),
		cert: read('agent.crt'),
		ca: read('ca.crt'),
		agentId: (JSON.parse(read('identity.json')) as { agentId: string }).agentId
	};
}

/**
 * Creates a join token for device group `groupId` (as the signed-in `cookie`) and enrols a real agent process
 * with it into a fresh directory: the identity it stored.
 */
export async function enrollWithNewToken(
	server: { url: string; agentPort: number },
	cookie: string,
	groupId: number
): Promise<{ dir: string } & AgentFiles> {
	const r = await trpcCall(
		server.url,
		cookie,
		'agents.tokens.create',
		{ groupId, ttlSeconds: 600 },
		'mutation'
	);
	if (r.status !== 200) throw new Error(`agents.tokens.create: ${r.status} ${JSON.stringify(r.body)}`);
	const { token } = r.body.result!.data as { token: string };
	const dir = tempDir();
	const e = await agentCmd([
		'enroll',
		'--server',
		`https://127.0.0.1:${server.agentPort}`,
		'--token',
		token,
		'--dir',
		dir
	]);
	if (e.code !== 0) throw new Error(`fleetdesk-agent enroll failed (${e.code}): ${e.stderr}`);
	return { dir, ...agentFiles(dir) };
}

/** A raw link to the gateway with the given client certificate: resolves connected or rejects with the reason. */
export function rawLink(
	agentPort: number,
	creds: { key?: string; cert?: string; ca: string }
): Promise<Socket> {
	const socket = io(`https://127.0.0.1:${agentPort}/agent`, {
		transports: ['websocket'],
		reconnection: false,
		forceNew: true,
		timeout: 5000,
		...creds
	} as Parameters<typeof io>[1]);
	return new Promise((resolve, reject) => {
		socket.once('connect', () => resolve(socket));
		socket.once('connect_error', (e) => {
			socket.close();
			reject(e);
		});
	});
}

export function pinOf(certPem: string): string {
	const spki = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
	return crypto.createHash('sha256').update(spki).digest('base64url');
}

export async function until<T>(
	fn: () => Promise<T | undefined | null | false>,
	timeoutMs = 10_000
): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 100));
	}
}
