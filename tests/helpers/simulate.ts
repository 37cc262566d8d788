// `fleetdesk-agent simulate` as a real child process, for the integration test and benchmark B1.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AGENT_BUNDLE } from './agents';
import { ROOT } from './server';

export interface SimStatus {
	online: number;
	connecting: number;
	refused: number;
	stopped: number;
	delivered: number;
	queued: number;
	dropped: number;
	errors: number;
}

export interface RunningSimulation {
	proc: ChildProcess;
	output(): string;
	/** Resolves with the time (Date.now()) a line matching `re` arrived after `from` chars of output. */
	waitFor(re: RegExp, timeoutMs?: number, from?: number): Promise<number>;
	/** Asks for a status line now (test hooks) and parses it. */
	status(timeoutMs?: number): Promise<SimStatus>;
	send(line: string): void;
	exited: Promise<number | null>;
	stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const STATUS_RE =
	/(\d+) online, (\d+) connecting, (\d+) refused, (\d+) stopped;.*reports (\d+) delivered, (\d+) queued, (\d+) dropped; \d+ warnings, (\d+) errors/;

export function parseStatus(line: string): SimStatus | null {
	const m = STATUS_RE.exec(line);
	if (!m) return null;
	const [online, connecting, refused, stopped, delivered, queued, dropped, errors] = m.slice(1).map(Number);
	return { online, connecting, refused, stopped, delivered, queued, dropped, errors };
}

export interface SimulateOptions {
	server: string;
	token?: string;
	count: number;
	dir: string;
	config?: object;
	args?: string[];
	env?: Record<string, string>;
	/** Extra flags for node itself (e.g. --max-old-space-size). */
	nodeArgs?: string[];
}

export function startSimulation(o: SimulateOptions): RunningSimulation {
	fs.mkdirSync(o.dir, { recursive: true });
	const configFile = path.join(o.dir, 'simulate-config.json');
	fs.writeFileSync(configFile, JSON.stringify(o.config ?? {}));
	const args = [
		...(o.nodeArgs ?? []),
		AGENT_BUNDLE,
		'simulate',
		'--server',
		o.server,
		'--count',
		String(o.count),
		'--dir',
		o.dir,
		'--config',
		configFile,
		...(o.token ? ['--token', o.token] : []),
		...(o.args ?? [])
	];
	const proc = spawn(process.execPath, args, {
		cwd: ROOT,
		env: { ...process.env, FLEETDESK_AGENT_TEST_HOOKS: '1', ...o.env },
		stdio: ['pipe', 'pipe', 'pipe']
	});
	let out = '';
	const waiters: { re: RegExp; from: number; resolve: (t: number) => void }[] = [];
	const onData = (d: Buffer) => {
		out += d;
		// keep memory bounded on long runs: only the recent output matters to waiters
		if (out.length > 4_000_000) {
			const cut = out.length - 1_000_000;
			out = out.slice(cut);
			for (const w of waiters) w.from = Math.max(0, w.from - cut);
		}
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
	const waitFor = (re: RegExp, timeoutMs = 30_000, from = 0) =>
		new Promise<number>((resolve, reject) => {
			if (re.test(out.slice(from))) return resolve(Date.now());
			const timer = setTimeout(
				() => reject(new Error(`simulate did not print ${re} within ${timeoutMs} ms:\n${out.slice(-3000)}`)),
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
		});
	return {
		proc,
		output: () => out,
		waitFor,
		send: (line) => proc.stdin!.write(line + '\n'),
		status: async (timeoutMs = 10_000) => {
			const from = out.length;
			proc.stdin!.write('status\n');
			await waitFor(STATUS_RE, timeoutMs, from);
			const line = out
				.slice(from)
				.split('\n')
				.find((l) => STATUS_RE.test(l))!;
			return parseStatus(line)!;
		},
		exited,
		stop: async (signal = 'SIGINT') => {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
			return exited;
		}
	};
}
