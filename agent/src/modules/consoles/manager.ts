// The console pipes of this agent: opened and closed by signed tasks, fed by the server's input, resize and
// break events, and sending their output in order, paced by the link. After every link ready the agent lists
// its pipes (pipe:inventory); the server answers from where to resend and which pipes to close, so after a
// server crash nothing read is lost and nothing is applied twice (the server keeps each seq once).
import {
	type ConsoleOpenArgs,
	type PipeInventoryAck,
	type PipeInventoryItem,
	type PipeState
} from '../../../../src/lib/protocol/consoles';
import { openSecret, type SecretPlaintext } from '../../../../src/lib/protocol/sealed-secret';
import type { ModuleContext } from '../types';
import { DRIVERS } from './drivers';
import type { DriverFactory } from './drivers/types';
import { Pipe, TYPE_AHEAD_BYTES } from './pipe';
import { checkTarget, PolicyError } from './policy';
import { OutputSender, WINDOW_STALL_MS } from './sender';

/** Without an answer to pipe:inventory in this time, everything held is sent again from its start. */
const INVENTORY_ACK_TIMEOUT_MS = 30_000;
/**
 * Input can overtake the console-open task that creates its pipe (the task is verified first): it is kept this
 * long, for this many pipes, and handed to the pipe when it opens.
 */
const EARLY_INPUT_MS = 30_000;
const EARLY_INPUT_PIPES = 16;

export type ManagerContext = Pick<ModuleContext, 'cfg' | 'identity' | 'log' | 'emit' | 'pendingBytes'>;

export type OpenResult = { pipeId: string; state: PipeState; hostKeySha256?: string };

export class PipeManager {
	private readonly pipes = new Map<string, Pipe>();
	private readonly byConsole = new Map<number, Pipe>();
	/** Input for pipes not opened yet: pipeId → what came, and when the first piece did. */
	private readonly early = new Map<string, { at: number; bytes: number; data: Uint8Array[] }>();
	private ready = false;
	/** Between a link ready and the server's answer to pipe:inventory: output waits. */
	private resuming = false;
	private generation = 0;
	private ackTimer: NodeJS.Timeout | null = null;
	private readonly sender: OutputSender;

	constructor(
		private readonly ctx: ManagerContext,
		private readonly drivers: Record<string, DriverFactory> = DRIVERS as Record<string, DriverFactory>
	) {
		this.sender = new OutputSender(
			ctx,
			() => [...this.pipes.values()],
			() => this.ready && !this.resuming,
			() => this.linkDown(),
			() =>
				ctx.log(
					'warning',
					`consoles: the server reported no output received for ${WINDOW_STALL_MS / 1000} s with the window full; sending on`
				)
		);
	}

	get size(): number {
		return this.pipes.size;
	}

	get(pipeId: string): Pipe | undefined {
		return this.pipes.get(pipeId);
	}

	/** console-open: start a pipe (or re-attach to it); resolves once its first attempt is over. */
	async open(args: ConsoleOpenArgs): Promise<OpenResult> {
		const existing = this.pipes.get(args.pipeId);
		if (existing) {
			if (existing.state === 'failed') throw new Error(existing.message ?? 'The console pipe failed.');
			if (existing.finished) throw new Error('This console pipe was closed; open the console again.');
			return this.result(existing);
		}
		const cfg = this.ctx.cfg.consoles;
		try {
			checkTarget(args, cfg);
		} catch (e) {
			if (e instanceof PolicyError) throw new Error(e.message);
			throw e;
		}
		const replaced = this.byConsole.get(args.consoleId);
		const live = [...this.pipes.values()].filter((p) => !p.finished && p !== replaced).length;
		if (live >= cfg.maxPipes)
			throw new Error(
				`This agent already runs ${live} console pipes (consoles.maxPipes): close one or raise the limit.`
			);
		let secret: SecretPlaintext | undefined;
		if (args.secret) {
			const id = this.ctx.identity;
			try {
				secret = await openSecret(id.key, args.pipeId, args.secret);
			} catch (e) {
				// Sealed for the key a certificate renewal just replaced (the task was signed before it).
				if (!id.previousKey) throw e;
				secret = await openSecret(id.previousKey, args.pipeId, args.secret);
			}
		}
		if (replaced) replaced.finish('closed', 'replaced by a new pipe for this console');

		const pipe = new Pipe(args, {
			cfg,
			open: (o) => this.drivers[o.target.kind](o),
			secret,
			log: this.ctx.log,
			onOutput: () => this.sender.schedule(),
			onState: (p) => this.stateChanged(p)
		});
		this.pipes.set(pipe.pipeId, pipe);
		this.byConsole.set(pipe.consoleId, pipe);
		const early = this.early.get(pipe.pipeId);
		this.early.delete(pipe.pipeId);
		for (const d of early?.data ?? []) pipe.write(d);
		this.ctx.log('info', `console ${args.consoleId}: pipe ${args.pipeId} (${args.target.kind}) starting`);
		await pipe.start();
		if (pipe.state === 'failed') throw new Error(pipe.message ?? 'The console could not be opened.');
		if (pipe.finished) throw new Error(pipe.message ?? 'The console pipe was closed while it opened.');
		return this.result(pipe);
	}

	/** console-close (or the server's inventory answer): end a pipe for good. Unknown ids are fine. */
	close(pipeId: string, message = 'closed by the server'): OpenResult {
		const pipe = this.pipes.get(pipeId);
		pipe?.finish('closed', message);
		return { pipeId, state: 'closed' };
	}

	input(pipeId: string, data: Uint8Array): void {
		const pipe = this.pipes.get(pipeId);
		if (!pipe) return this.keepEarly(pipeId, data);
		if (!pipe.write(data))
			this.ctx.log('debug', `console ${pipe.consoleId}: input dropped, the target is ${pipe.state}`);
	}

	resize(pipeId: string, cols: number, rows: number): void {
		this.lookup(pipeId, 'resize')?.resize(cols, rows);
	}

	sendBreak(pipeId: string): void {
		this.lookup(pipeId, 'break')?.sendBreak();
	}

	/** pipe:stored: the server has everything up to seq. */
	stored(pipeId: string, seq: number): void {
		const pipe = this.lookup(pipeId, 'stored');
		if (!pipe) return;
		pipe.output.stored(seq);
		this.forgetIfDone(pipe);
	}

	// ------------------------------------------------------------ the link

	/** pipe:received: the server's count of this link's output. */
	received(bytes: number): void {
		this.sender.received(bytes);
	}

	/**
	 * The link is ready: list the pipes, and hold output until the server says from where to resend.
	 * `outputWindow`: the server's window for output in flight (null: none).
	 */
	linkReady(outputWindow: number | null = null): void {
		this.sender.linkReady(outputWindow);
		this.ready = true;
		this.resuming = true;
		const gen = ++this.generation;
		const items: PipeInventoryItem[] = [...this.pipes.values()].map((p) => ({
			pipeId: p.pipeId,
			consoleId: p.consoleId,
			state: p.state,
			retainedFrom: p.output.retainedFrom,
			nextSeq: p.output.nextSeq
		}));
		if (this.ackTimer) clearTimeout(this.ackTimer);
		this.ackTimer = setTimeout(() => {
			if (gen !== this.generation || !this.resuming) return;
			this.ctx.log(
				'warning',
				'consoles: the server did not answer the pipe inventory; resending all held output'
			);
			this.resume({ resume: [], close: [] });
		}, INVENTORY_ACK_TIMEOUT_MS);
		this.ackTimer.unref?.();
		const sent = this.ctx.emit('pipe:inventory', items, (ack: PipeInventoryAck) => {
			if (gen === this.generation && this.ready) this.resume(ack);
		});
		if (!sent) this.linkDown();
	}

	linkDown(): void {
		this.ready = false;
		this.resuming = false;
		if (this.ackTimer) clearTimeout(this.ackTimer);
		this.ackTimer = null;
	}

	private resume(ack: PipeInventoryAck): void {
		if (this.ackTimer) clearTimeout(this.ackTimer);
		this.ackTimer = null;
		const from = new Map<string, number>();
		for (const r of Array.isArray(ack?.resume) ? ack.resume : [])
			if (typeof r?.pipeId === 'string' && Number.isInteger(r.storedSeq)) from.set(r.pipeId, r.storedSeq);
		for (const id of Array.isArray(ack?.close) ? ack.close : []) {
			const pipe = this.pipes.get(id);
			if (!pipe) continue;
			pipe.finish('closed', 'closed by the server');
			// Listed for resume too: the server still wants what the pipe captured; otherwise drop it.
			if (!from.has(id)) pipe.output.clear();
			this.forgetIfDone(pipe);
		}
		// A pipe the server did not mention is resent from the oldest output still held.
		for (const pipe of this.pipes.values()) pipe.output.resumeAfter(from.get(pipe.pipeId) ?? 0);
		this.resuming = false;
		for (const pipe of [...this.pipes.values()]) {
			this.emitState(pipe);
			this.forgetIfDone(pipe);
		}
		this.sender.send();
	}

	/** Agent stopping: every pipe ends, and the server hears it if the link is still up. */
	stopAll(): void {
		for (const pipe of this.pipes.values()) {
			pipe.finish('closed', 'the agent is stopping');
			pipe.dispose();
		}
		this.sender.stop();
		if (this.ackTimer) clearTimeout(this.ackTimer);
		this.ackTimer = null;
	}

	// ------------------------------------------------------------ state

	private stateChanged(pipe: Pipe): void {
		this.ctx.log(
			pipe.state === 'failed' ? 'warning' : 'info',
			`console ${pipe.consoleId}: ${pipe.state}${pipe.message ? ` (${pipe.message})` : ''}`
		);
		if (this.pipes.get(pipe.pipeId) === pipe) this.emitState(pipe);
		if (pipe.finished && this.byConsole.get(pipe.consoleId) === pipe) this.byConsole.delete(pipe.consoleId);
		this.forgetIfDone(pipe);
	}

	private emitState(pipe: Pipe): void {
		if (!this.ready) return;
		this.ctx.emit('pipe:state', {
			pipeId: pipe.pipeId,
			consoleId: pipe.consoleId,
			state: pipe.state,
			...(pipe.message ? { message: pipe.message.slice(0, 500) } : {}),
			nextSeq: pipe.output.nextSeq,
			at: Date.now()
		});
	}

	/** A finished pipe is forgotten once the server has stored all of its output. */
	private forgetIfDone(pipe: Pipe): void {
		if (!pipe.finished || !pipe.output.empty || this.pipes.get(pipe.pipeId) !== pipe) return;
		pipe.dispose();
		this.pipes.delete(pipe.pipeId);
		if (this.byConsole.get(pipe.consoleId) === pipe) this.byConsole.delete(pipe.consoleId);
	}

	/** Input for a pipe this agent does not have (yet): kept briefly in case its console-open is on its way. */
	private keepEarly(pipeId: string, data: Uint8Array): void {
		const now = Date.now();
		for (const [id, e] of this.early) if (now - e.at > EARLY_INPUT_MS) this.early.delete(id);
		const e = this.early.get(pipeId);
		if (!e && this.early.size >= EARLY_INPUT_PIPES) {
			this.ctx.log('debug', `consoles: input for unknown pipe ${pipeId} ignored`);
			return;
		}
		const kept = e ?? { at: now, bytes: 0, data: [] };
		if (kept.bytes + data.length > TYPE_AHEAD_BYTES) return;
		kept.bytes += data.length;
		kept.data.push(data);
		this.early.set(pipeId, kept);
	}

	private lookup(pipeId: string, what: string): Pipe | undefined {
		const pipe = this.pipes.get(pipeId);
		if (!pipe) this.ctx.log('debug', `consoles: ${what} for unknown pipe ${pipeId} ignored`);
		return pipe;
	}

	private result(pipe: Pipe): OpenResult {
		return {
			pipeId: pipe.pipeId,
			state: pipe.state,
			...(pipe.hostKeySha256 ? { hostKeySha256: pipe.hostKeySha256 } : {})
		};
	}
}
