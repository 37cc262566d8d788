import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { ExecArgs, TaskOutput } from '../../../src/lib/protocol/tasks';

export interface ExecOptions {
	/** Aborting kills the process (agent shutting down); the outcome is then `failed`. */
	signal?: AbortSignal;
	/** Time between SIGTERM and SIGKILL on timeout or abort. Default 5 s. */
	killGraceMs?: number;
	/** Live output, at most once per interval (default 500 ms), only the part within the cap. */
	onProgress?: (delta: { stdout: string; stderr: string }) => void;
	progressIntervalMs?: number;
	/**
	 * After the program exits, how long to wait for its output pipes to close. Background children
	 * that keep them open do not hold the task beyond this. Default 1 s.
	 */
	exitDrainMs?: number;
}

export interface ExecOutcome {
	state: 'succeeded' | 'failed' | 'timed-out';
	exitCode: number | null;
	signal: string | null;
	stdout: TaskOutput;
	stderr: TaskOutput;
	durationMs: number;
	error?: string;
}

/** Keeps the first `cap` bytes of a stream and counts the rest, which is read and dropped. */
class CappedCapture {
	private readonly chunks: Buffer[] = [];
	private kept = 0;
	private total = 0;
	private readonly live = new StringDecoder('utf8');
	private delta = '';

	constructor(private readonly cap: number) {}

	push(chunk: Buffer) {
		this.total += chunk.length;
		const room = this.cap - this.kept;
		if (room <= 0) return;
		const part = chunk.length <= room ? chunk : Buffer.from(chunk.subarray(0, room));
		this.chunks.push(part);
		this.kept += part.length;
		this.delta += this.live.write(part);
	}

	takeDelta(): string {
		const d = this.delta;
		this.delta = '';
		return d;
	}

	result(): TaskOutput {
		const buf = Buffer.concat(this.chunks, this.kept);
		const truncated = this.total > this.kept;
		// When cut at the cap, drop a trailing partial character rather than show a replacement mark.
		const text = truncated ? new StringDecoder('utf8').write(buf) : buf.toString('utf8');
		return { text, truncated, bytes: this.total };
	}
}

/**
 * Run a program with its arguments as given: no shell, so `;`, `|`, `$(…)` and globs are plain
 * characters. stdin is written and closed; stdout and stderr are captured up to the cap while the
 * rest is drained. On timeout the whole process group gets SIGTERM, then SIGKILL after the grace.
 */
export function runExec(args: ExecArgs, opts: ExecOptions = {}): Promise<ExecOutcome> {
	const started = performance.now();
	const grace = opts.killGraceMs ?? 5_000;
	const interval = opts.progressIntervalMs ?? 500;
	const exitDrain = opts.exitDrainMs ?? 1_000;
	const out = new CappedCapture(args.outputCapBytes);
	const err = new CappedCapture(args.outputCapBytes);

	const failEarly = (error: string): Promise<ExecOutcome> =>
		Promise.resolve({
			state: 'failed',
			exitCode: null,
			signal: null,
			stdout: out.result(),
			stderr: err.result(),
			durationMs: performance.now() - started,
			error
		});

	if (opts.signal?.aborted) return failEarly('The agent stopped before the task started.');
	if (args.cwd !== undefined) {
		let isDir = false;
		try {
			isDir = statSync(args.cwd).isDirectory();
		} catch {
			isDir = false;
		}
		if (!isDir) return failEarly(`The working directory ${args.cwd} does not exist on this host.`);
	}

	const posix = process.platform !== 'win32';
	let child: ReturnType<typeof spawn>;
	try {
		child = spawn(args.command, args.args, {
			cwd: args.cwd,
			env: args.env ? { ...process.env, ...args.env } : process.env,
			shell: false,
			windowsHide: true,
			// Its own process group, so a timeout can end everything it started.
			detached: posix,
			stdio: ['pipe', 'pipe', 'pipe']
		});
	} catch (e) {
		return failEarly(startError(args.command, e));
	}

	return new Promise<ExecOutcome>((resolve) => {
		let done = false;
		let spawned = false;
		let timedOut = false;
		let aborted = false;
		let exitCode: number | null = null;
		let exitSignal: string | null = null;
		let exited = false;
		let openStreams = 2;
		let lastProgress = 0;
		let progressTimer: NodeJS.Timeout | undefined;
		let drainTimer: NodeJS.Timeout | undefined;
		let killTimer: NodeJS.Timeout | undefined;

		const killGroup = (sig: NodeJS.Signals) => {
			if (child.pid === undefined) return;
			try {
				if (posix) process.kill(-child.pid, sig);
				else child.kill(sig);
			} catch {
				// already gone
			}
		};
		const stop = () => {
			killGroup('SIGTERM');
			// Stays armed after the task is reported, so stragglers ignoring SIGTERM still go.
			killTimer ??= setTimeout(() => killGroup('SIGKILL'), grace);
			killTimer.unref?.();
		};
		const timeout = setTimeout(() => {
			timedOut = true;
			stop();
		}, args.timeoutMs);
		const onAbort = () => {
			aborted = true;
			stop();
		};
		opts.signal?.addEventListener('abort', onAbort, { once: true });

		const flushProgress = () => {
			progressTimer = undefined;
			lastProgress = performance.now();
			const stdout = out.takeDelta();
			const stderr = err.takeDelta();
			if ((stdout || stderr) && opts.onProgress) {
				try {
					opts.onProgress({ stdout, stderr });
				} catch {
					// a failing listener must not break the task
				}
			}
		};
		const onData = (capture: CappedCapture) => (chunk: Buffer) => {
			capture.push(chunk);
			if (!opts.onProgress || progressTimer || done) return;
			const wait = Math.max(0, lastProgress + interval - performance.now());
			progressTimer = setTimeout(flushProgress, wait);
		};

		const finish = (error?: string) => {
			if (done) return;
			done = true;
			clearTimeout(timeout);
			clearTimeout(progressTimer);
			clearTimeout(drainTimer);
			opts.signal?.removeEventListener('abort', onAbort);
			if (!timedOut && !aborted && killTimer) clearTimeout(killTimer);
			child.stdout?.destroy();
			child.stderr?.destroy();
			const state: ExecOutcome['state'] = timedOut
				? 'timed-out'
				: !aborted && !error && exitCode === 0
					? 'succeeded'
					: 'failed';
			resolve({
				state,
				exitCode,
				signal: exitSignal,
				stdout: out.result(),
				stderr: err.result(),
				durationMs: performance.now() - started,
				error:
					error ??
					(timedOut
						? `The command ran longer than ${args.timeoutMs / 1000} s and was stopped.`
						: aborted
							? 'The agent stopped while the task was running.'
							: undefined)
			});
		};
		const maybeFinish = () => {
			if (exited && openStreams === 0) finish();
		};

		child.on('spawn', () => {
			spawned = true;
		});
		child.on('error', (e) => {
			// Before 'spawn' this means the program could not start; later errors (a failed kill) do not matter.
			if (!spawned) finish(startError(args.command, e));
		});
		child.on('exit', (code, sig) => {
			exited = true;
			exitCode = code;
			exitSignal = sig;
			if (openStreams > 0) drainTimer = setTimeout(() => finish(), exitDrain);
			maybeFinish();
		});
		for (const [stream, capture] of [
			[child.stdout, out],
			[child.stderr, err]
		] as const) {
			stream?.on('data', onData(capture));
			stream?.on('error', () => {});
			stream?.on('close', () => {
				openStreams--;
				maybeFinish();
			});
		}
		child.stdin?.on('error', () => {
			// EPIPE when the program exits without reading its input: not the task's failure.
		});
		child.stdin?.end(args.stdin ?? '');
	});
}

function startError(command: string, e: unknown): string {
	const code = (e as NodeJS.ErrnoException)?.code;
	if (code === 'ENOENT') return `Could not start "${command}": no such program (check the path or PATH).`;
	if (code === 'EACCES') return `Could not start "${command}": permission denied (is it executable?).`;
	return `Could not start "${command}": ${e instanceof Error ? e.message : String(e)}.`;
}
