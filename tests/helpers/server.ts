import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as net.AddressInfo).port;
			s.close(() => resolve(port));
		});
		s.on('error', reject);
	});
}

export interface RunningServer {
	url: string;
	port: number;
	/** The agent gateway's TLS port (a free one unless FLEETDESK_AGENT_PORT is given). */
	agentPort: number;
	dataDir: string;
	output: () => string;
	proc: ChildProcess;
	stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the built production server (build/server.js) as a real process on loopback. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
	if (!fs.existsSync(path.join(ROOT, 'build', 'server.js')))
		throw new Error('Run `npm run build` before the integration tests.');
	const port = await freePort();
	const agentPort =
		env.FLEETDESK_AGENT_PORT !== undefined ? Number(env.FLEETDESK_AGENT_PORT) || 0 : await freePort();
	const dataDir = env.FLEETDESK_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-it-'));
	const proc = spawn(process.execPath, [path.join(ROOT, 'build', 'server.js')], {
		cwd: ROOT,
		env: {
			...process.env,
			PORT: String(port),
			HOST: '127.0.0.1',
			FLEETDESK_DATA_DIR: dataDir,
			FLEETDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
			DATABASE_URL: '',
			FLEETDESK_AGENT_PORT: String(agentPort),
			// Several nodes on one PostgreSQL share the CA only with the same master key (docs/agents.md).
			FLEETDESK_SECRET: 'fleetdesk-integration-tests-master-key-0001',
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	proc.stdout!.on('data', (d) => (out += d));
	proc.stderr!.on('data', (d) => (out += d));
	const url = `http://127.0.0.1:${port}`;
	await new Promise<void>((resolve, reject) => {
		// 120 s: a cold PGlite start on a loaded two-core machine can take over a minute. A server that
		// did not start is killed, so a failed test leaves no process behind.
		const timer = setTimeout(() => {
			proc.kill('SIGKILL');
			reject(new Error(`server did not start:\n${out}`));
		}, 120_000);
		const check = () => {
			if (out.includes('is running at')) {
				clearTimeout(timer);
				resolve();
			}
		};
		proc.stdout!.on('data', check);
		proc.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`server exited with ${code}:\n${out}`));
		});
	});
	return {
		url,
		port,
		agentPort,
		dataDir,
		output: () => out,
		proc,
		stop: (signal = 'SIGTERM') =>
			new Promise((resolve) => {
				if (proc.exitCode !== null) return resolve();
				proc.once('exit', () => resolve());
				proc.kill(signal);
			})
	};
}

/** Signs in through the real login form and returns the session cookie. */
export async function signIn(url: string, username: string, password: string): Promise<string> {
	const res = await fetch(`${url}/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
		body: new URLSearchParams({ username, password }),
		redirect: 'manual'
	});
	const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fleetdesk_session='));
	if (!cookie) throw new Error(`sign-in as ${username} failed: ${res.status} ${await res.text()}`);
	return cookie.split(';')[0];
}

/** Calls a tRPC procedure over HTTP as a browser would (same-origin POST for mutations). */
export async function trpcCall(
	url: string,
	cookie: string | null,
	pathName: string,
	input?: unknown,
	kind: 'query' | 'mutation' = 'query'
): Promise<{
	status: number;
	body: { result?: { data: unknown }; error?: { message: string; data: { code: string } } };
}> {
	const headers: Record<string, string> = { origin: url };
	if (cookie) headers.cookie = cookie;
	const res =
		kind === 'query'
			? await fetch(
					`${url}/api/trpc/${pathName}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
					{ headers }
				)
			: await fetch(`${url}/api/trpc/${pathName}`, {
					method: 'POST',
					headers: { ...headers, 'content-type': 'application/json' },
					body: JSON.stringify(input ?? null)
				});
	return { status: res.status, body: await res.json() };
}

/** tRPC as `cookie`, throwing with the server's message on anything but 200. */
export function caller(server: { url: string }, cookie: string) {
	return async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query'): Promise<T> => {
		const r = await trpcCall(server.url, cookie, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
}
