// Paces the pipes' output onto the link: at once after a quiet moment (a keystroke's echo), otherwise in
// rounds a few milliseconds apart so a flood becomes few large frames, and never past the socket's bound.
import type { ModuleContext } from '../types';
import type { Pipe } from './pipe';

/**
 * Output waits while the socket has this much queued (a slow link or server). A keystroke's echo queues behind
 * this and the pipe's unsent output (output.ts FLOW_HIGH_BYTES), so both stay a few hundred KiB.
 */
export const MAX_PENDING_BYTES = 256 * 1024;
/** Reads within this long of the last send go out together. */
export const COALESCE_MS = 3;
/** How often held output is tried again while the socket is full. */
const BACKPRESSURE_RETRY_MS = 10;
/**
 * With the window full and no `pipe:received` for this long, the server's count is taken to be lost and the
 * window starts again from what was sent (a stall here would pause every console of the agent).
 */
export const WINDOW_STALL_MS = 10_000;

export class OutputSender {
	private timer: NodeJS.Timeout | null = null;
	private last = 0;
	private rr = 0;
	/** Output in flight on this link (protocol PIPE_OUTPUT_WINDOW_BYTES); null: the server set no window. */
	private window: number | null = null;
	private sentBytes = 0;
	private receivedBytes = 0;
	private stallTimer: NodeJS.Timeout | null = null;

	constructor(
		private readonly link: Pick<ModuleContext, 'emit' | 'pendingBytes'>,
		private readonly pipes: () => Pipe[],
		/** Ready and not waiting for the server's answer to the pipe inventory. */
		private readonly canSend: () => boolean,
		/** emit() said the link is gone. */
		private readonly onLinkLost: () => void,
		/** The window was full for WINDOW_STALL_MS with no report from the server (logged by the caller). */
		private readonly onWindowStall?: () => void
	) {}

	/** A new link is ready: nothing of it is in flight yet. `window`: the server's, or null for none. */
	linkReady(window: number | null): void {
		this.window = typeof window === 'number' && Number.isFinite(window) && window > 0 ? window : null;
		this.sentBytes = 0;
		this.receivedBytes = 0;
		this.clearStall();
	}

	/** pipe:received: the server has `total` bytes of this link's output; the window moves on. */
	received(total: number): void {
		if (total <= this.receivedBytes) return;
		this.receivedBytes = Math.min(total, this.sentBytes);
		this.clearStall();
		if (!this.timer) this.send();
	}

	/** Bytes sent on this link that the server has not reported received. */
	get inFlight(): number {
		return this.sentBytes - this.receivedBytes;
	}

	/** New output: send at once when the link was quiet, otherwise within COALESCE_MS, together. */
	schedule(): void {
		if (this.timer) return;
		const since = Date.now() - this.last;
		if (since >= COALESCE_MS) this.send();
		else this.timer = setTimeout(() => this.send(), COALESCE_MS - since);
	}

	/** Sends held chunks, one pipe after another, while the link can take them. */
	send(): void {
		// Only the round's timer: the window's stall timer runs from when the window filled, not from each try.
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.last = Date.now();
		if (!this.canSend()) return;
		const pipes = this.pipes();
		// Socket.IO queues what the WebSocket has not taken yet where pendingBytes() cannot see it, so one
		// round sends at most the room left under the bound, and the next round comes after the socket wrote.
		let budget = MAX_PENDING_BYTES - this.link.pendingBytes();
		if (this.window !== null) budget = Math.min(budget, this.window - this.inFlight);
		let idle = 0;
		while (idle < pipes.length) {
			if (budget <= 0) {
				// The window is full: the next pipe:received sends on (no polling while the server catches up).
				if (this.window !== null && this.inFlight >= this.window) return this.awaitReceived();
				const full = this.link.pendingBytes() >= MAX_PENDING_BYTES;
				this.timer = setTimeout(() => this.send(), full ? BACKPRESSURE_RETRY_MS : 0);
				return;
			}
			const pipe = pipes[this.rr++ % pipes.length];
			const chunk = pipe.output.nextUnsent();
			if (!chunk) {
				idle++;
				continue;
			}
			idle = 0;
			const ok = this.link.emit('pipe:output', {
				pipeId: pipe.pipeId,
				seq: chunk.seq,
				at: chunk.at,
				data: chunk.data
			});
			if (!ok) return this.onLinkLost();
			pipe.output.markSent(chunk.seq);
			budget -= chunk.data.length;
			this.sentBytes += chunk.data.length;
		}
	}

	stop(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.clearStall();
	}

	private awaitReceived(): void {
		if (this.stallTimer) return;
		this.stallTimer = setTimeout(() => {
			this.stallTimer = null;
			this.receivedBytes = this.sentBytes;
			this.onWindowStall?.();
			this.send();
		}, WINDOW_STALL_MS);
		this.stallTimer.unref?.();
	}

	private clearStall(): void {
		if (this.stallTimer) clearTimeout(this.stallTimer);
		this.stallTimer = null;
	}
}
