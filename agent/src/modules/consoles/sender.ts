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

export class OutputSender {
	private timer: NodeJS.Timeout | null = null;
	private last = 0;
	private rr = 0;

	constructor(
		private readonly link: Pick<ModuleContext, 'emit' | 'pendingBytes'>,
		private readonly pipes: () => Pipe[],
		/** Ready and not waiting for the server's answer to the pipe inventory. */
		private readonly canSend: () => boolean,
		/** emit() said the link is gone. */
		private readonly onLinkLost: () => void
	) {}

	/** New output: send at once when the link was quiet, otherwise within COALESCE_MS, together. */
	schedule(): void {
		if (this.timer) return;
		const since = Date.now() - this.last;
		if (since >= COALESCE_MS) this.send();
		else this.timer = setTimeout(() => this.send(), COALESCE_MS - since);
	}

	/** Sends held chunks, one pipe after another, while the link can take them. */
	send(): void {
		this.stop();
		this.last = Date.now();
		if (!this.canSend()) return;
		const pipes = this.pipes();
		// Socket.IO queues what the WebSocket has not taken yet where pendingBytes() cannot see it, so one
		// round sends at most the room left under the bound, and the next round comes after the socket wrote.
		let budget = MAX_PENDING_BYTES - this.link.pendingBytes();
		let idle = 0;
		while (idle < pipes.length) {
			if (budget <= 0) {
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
		}
	}

	stop(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}
}
