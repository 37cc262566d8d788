// One console pipe: a driver connected to the target, reopened with backoff when the target drops, and the
// output it read waiting for the server. The pipe outlives the task that opened it and any link. The driver is
// paused while the output waiting to be sent or stored is over its marks (output.ts), and resumed as the
// link takes it and the server stores it.
import type { ConsoleOpenArgs, PipeState } from '../../../../src/lib/protocol/consoles';
import type { SecretPlaintext } from '../../../../src/lib/protocol/sealed-secret';
import { backoffDelay } from '../../link';
import type { Logger } from '../../log';
import { DriverError, type Driver, type DriverFactory } from './drivers/types';
import { PipeOutput } from './output';
import type { ConsolesConfig } from './policy';

/** A connection that lasted this long was fine: the next drop starts the backoff from the beginning. */
const STABLE_MS = 10_000;
/** Input typed while the target connects is kept (up to this much) and written once it is open. */
export const TYPE_AHEAD_BYTES = 64 * 1024;

export interface PipeDeps {
	cfg: ConsolesConfig;
	open: DriverFactory;
	secret?: SecretPlaintext;
	log: Logger;
	/** New output to send (the manager coalesces and paces it). */
	onOutput(pipe: Pipe): void;
	/** The state or its message changed. */
	onState(pipe: Pipe): void;
}

export class Pipe {
	readonly pipeId: string;
	readonly consoleId: number;
	readonly output: PipeOutput;
	state: PipeState = 'connecting';
	message: string | undefined;
	hostKeySha256: string | undefined;
	private driver: Driver | null = null;
	private cols: number;
	private rows: number;
	private attempt = 0;
	private openedAt = 0;
	private timer: NodeJS.Timeout | null = null;
	private lostTimer: NodeJS.Timeout | null = null;
	/** Input that came while connecting, written when the driver opens. */
	private typeAhead: Uint8Array[] = [];
	private typeAheadBytes = 0;
	private lostBytes = 0;

	constructor(
		readonly args: ConsoleOpenArgs,
		private readonly deps: PipeDeps
	) {
		this.pipeId = args.pipeId;
		this.consoleId = args.consoleId;
		this.cols = args.cols;
		this.rows = args.rows;
		this.output = new PipeOutput(args.retainBytes, (hold) => {
			if (hold) this.driver?.pause();
			else this.driver?.resume();
		});
	}

	/** closed or failed: nothing more will be read. */
	get finished(): boolean {
		return this.state === 'closed' || this.state === 'failed';
	}

	/** The first connection attempt; resolves when it is open, retrying, or failed. */
	start(): Promise<void> {
		return this.connect();
	}

	private async connect(): Promise<void> {
		this.timer = null;
		if (this.finished) return;
		const t = this.args.target;
		const where =
			t.kind === 'shell'
				? 'starting'
				: t.kind === 'serial'
					? `opening ${t.path}`
					: `connecting to ${t.host}:${t.port}`;
		this.setState('connecting', `${t.kind}: ${where}`);
		// This attempt's driver: events from an earlier one are ignored, an end before open resolved is kept.
		const attempt: { driver: Driver | null; ended: string | null } = { driver: null, ended: null };
		let driver: Driver;
		try {
			driver = await this.deps.open({
				target: t,
				cols: this.cols,
				rows: this.rows,
				secret: this.deps.secret,
				cfg: this.deps.cfg,
				events: {
					data: (chunk) => {
						if (attempt.driver === null || this.driver === attempt.driver) this.read(chunk);
					},
					end: (reason) => {
						if (attempt.driver === null) attempt.ended ??= reason;
						else if (this.driver === attempt.driver) this.dropped(reason);
					}
				}
			});
		} catch (e) {
			if (this.finished) return;
			const err = e instanceof DriverError ? e : new DriverError(`${t.kind}: ${(e as Error).message}`);
			if (err.permanent || !this.args.reconnect.enabled) this.finish('failed', err.message);
			else this.retry(err.message);
			return;
		}
		attempt.driver = driver;
		if (this.finished) return driver.close();
		this.driver = driver;
		// Reopened while the output before the drop still waits for the server.
		if (this.output.holding) driver.pause();
		this.openedAt = Date.now();
		this.hostKeySha256 = driver.hostKeySha256;
		this.setState('open', driver.description);
		for (const d of this.takeTypeAhead()) driver.write(d);
		if (attempt.ended !== null) this.dropped(attempt.ended);
	}

	private read(chunk: Buffer): void {
		if (this.finished || chunk.length === 0) return;
		this.output.append(chunk, Date.now());
		const lost = this.output.takeLost();
		if (lost) this.noteLost(lost);
		this.deps.onOutput(this);
	}

	/** The target went away: reopen after a backoff, or end here. */
	private dropped(reason: string): void {
		this.driver = null;
		if (this.finished) return;
		if (!this.args.reconnect.enabled) return this.finish('closed', reason);
		if (Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
		this.retry(reason);
	}

	private retry(reason: string): void {
		this.takeTypeAhead();
		const { baseMs, capMs } = this.args.reconnect;
		const delay = backoffDelay(this.attempt++, baseMs, capMs);
		const secs = delay < 10_000 ? (delay / 1000).toFixed(1) : String(Math.round(delay / 1000));
		this.setState('retrying', `${reason}; retrying in ${secs} s`);
		this.timer = setTimeout(() => void this.connect(), delay);
	}

	/** Ends the pipe for good (server asked, replaced, agent stopping, or a failure retrying cannot fix). */
	finish(state: 'closed' | 'failed', message: string): void {
		if (this.finished) return;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		const d = this.driver;
		this.driver = null;
		this.takeTypeAhead();
		d?.close();
		this.setState(state, message);
	}

	/**
	 * Input for the target. While it connects, input is kept (bounded) and written once it is open, so what was
	 * typed right after a join is not lost; while it waits to retry, or past the bound, input is refused.
	 */
	/** The input kept while connecting, which is forgotten here. */
	private takeTypeAhead(): Uint8Array[] {
		const kept = this.typeAhead;
		this.typeAhead = [];
		this.typeAheadBytes = 0;
		return kept;
	}

	write(data: Uint8Array): boolean {
		if (this.driver) {
			this.driver.write(data);
			return true;
		}
		if (this.state !== 'connecting' || this.typeAheadBytes + data.length > TYPE_AHEAD_BYTES) return false;
		this.typeAhead.push(data);
		this.typeAheadBytes += data.length;
		return true;
	}

	resize(cols: number, rows: number): void {
		this.cols = cols;
		this.rows = rows;
		this.driver?.resize(cols, rows);
	}

	sendBreak(): void {
		const d = this.driver;
		if (!d) return;
		Promise.resolve()
			.then(() => d.sendBreak())
			.catch((e: Error) => {
				// Reported in the room's status line without changing the state.
				this.deps.log('warning', `console ${this.consoleId}: ${e.message}`);
				if (this.driver === d) this.setState(this.state, e.message);
			});
	}

	/** Output dropped by the retention bound: said at most once a second, with the total. */
	private noteLost(bytes: number): void {
		this.lostBytes += bytes;
		if (this.lostTimer) return;
		this.lostTimer = setTimeout(() => {
			this.lostTimer = null;
			const msg = `${this.lostBytes} bytes of output were lost: the agent's buffer (${this.args.retainBytes} bytes) filled before the server stored them`;
			this.deps.log('warning', `console ${this.consoleId}: ${msg}`);
			this.lostBytes = 0;
			this.setState(this.state, msg);
		}, 1000);
		this.lostTimer.unref?.();
	}

	private setState(state: PipeState, message: string | undefined): void {
		this.state = state;
		this.message = message;
		this.deps.onState(this);
	}

	/** Stops timers (the pipe is being forgotten). */
	dispose(): void {
		if (this.timer) clearTimeout(this.timer);
		if (this.lostTimer) clearTimeout(this.lostTimer);
		this.timer = this.lostTimer = null;
	}
}
