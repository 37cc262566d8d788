// A pipe's output on its way to the server: numbered chunks (from 1, no gaps), kept until the server says it
// stored them, so a link drop or a server crash loses nothing the agent read. Flow control keeps it small:
// past a few hundred KiB not yet sent, or near `retainBytes` not yet stored, it asks for the target to be
// paused (onFlow), so a flood waits in the PTY (or the ssh window, TCP, the serial line) and a keystroke's echo
// is behind little output. Dropping the oldest chunks past `retainBytes` stays as the last resort for a target
// that cannot be paused (a serial port without flow control); the loss is counted for the room's status line.
import { PIPE_MAX_CHUNK_BYTES } from '../../../../src/lib/protocol/consoles';

/** Unsent output past which the target is paused (a keystroke's echo queues behind at most about this). */
export const FLOW_HIGH_BYTES = 128 * 1024;
/** Unsent output under which a paused target is resumed. */
export const FLOW_LOW_BYTES = 32 * 1024;
/** Sent but not stored, the target is paused this far below retainBytes (room for reads already under way). */
const RETAIN_HEADROOM_BYTES = 1024 * 1024;
/**
 * ... and resumed once this much of it was stored: small, so while the server's access log sets the pace a
 * keystroke's echo (behind the PTY's own small buffer) is read at the next acknowledgement.
 */
const RETAIN_RESUME_BYTES = 64 * 1024;

export interface Chunk {
	seq: number;
	/** Epoch ms of the first read in the chunk. */
	at: number;
	parts: Buffer[];
	size: number;
}

export class PipeOutput {
	/** In order; the first `sent` were emitted on the current link (and are not yet confirmed stored). */
	private readonly chunks: Chunk[] = [];
	private sent = 0;
	private seq = 1;
	private bytes = 0;
	/** Bytes in the first `sent` chunks. */
	private sentBytes = 0;
	/** Bytes dropped since the last call to takeLost(). */
	private lost = 0;
	private hold = false;
	/** Retained bytes at which the target is paused, and at which it is resumed again. */
	private readonly holdAt: number;
	private readonly releaseAt: number;

	constructor(
		private readonly retainBytes: number,
		/** The target should pause (true) or resume (false); called on changes only. */
		private readonly onFlow: (hold: boolean) => void = () => {}
	) {
		this.holdAt = retainBytes - Math.min(RETAIN_HEADROOM_BYTES, Math.floor(retainBytes / 2));
		this.releaseAt = this.holdAt - Math.min(RETAIN_RESUME_BYTES, Math.floor(this.holdAt / 2));
	}

	/** The sequence number the next chunk gets. */
	get nextSeq(): number {
		return this.seq;
	}

	/** The oldest sequence number still held (nextSeq when none). */
	get retainedFrom(): number {
		return this.chunks[0]?.seq ?? this.seq;
	}

	get retainedBytes(): number {
		return this.bytes;
	}

	get empty(): boolean {
		return this.chunks.length === 0;
	}

	get hasUnsent(): boolean {
		return this.sent < this.chunks.length;
	}

	/** Bytes read but not emitted on the current link. */
	get unsentBytes(): number {
		return this.bytes - this.sentBytes;
	}

	/** The target is asked to pause. */
	get holding(): boolean {
		return this.hold;
	}

	/** Adds bytes read at `at`: into the last chunk if it was not sent yet and has room, else new chunks. */
	append(data: Buffer, at: number): void {
		let off = 0;
		const tail = this.chunks.at(-1);
		if (tail && this.hasUnsent && tail.size < PIPE_MAX_CHUNK_BYTES) {
			const n = Math.min(PIPE_MAX_CHUNK_BYTES - tail.size, data.length);
			tail.parts.push(data.subarray(0, n));
			tail.size += n;
			off = n;
		}
		while (off < data.length) {
			const part = data.subarray(off, off + PIPE_MAX_CHUNK_BYTES);
			this.chunks.push({ seq: this.seq++, at, parts: [part], size: part.length });
			off += part.length;
		}
		this.bytes += data.length;
		while (this.bytes > this.retainBytes && this.chunks.length > 1) {
			const old = this.chunks.shift()!;
			this.bytes -= old.size;
			this.lost += old.size;
			this.forgetSent(old);
		}
		this.flow();
	}

	/** The oldest chunk not sent on this link, with its bytes joined (it cannot grow once taken). */
	nextUnsent(): { seq: number; at: number; data: Uint8Array<ArrayBuffer> } | null {
		const c = this.chunks[this.sent];
		if (!c) return null;
		if (c.parts.length > 1) c.parts = [Buffer.concat(c.parts, c.size)];
		// Node's Buffers never sit on a SharedArrayBuffer.
		return { seq: c.seq, at: c.at, data: c.parts[0] as Uint8Array<ArrayBuffer> };
	}

	/** The chunk nextUnsent() returned was emitted. */
	markSent(seq: number): void {
		const c = this.chunks[this.sent];
		if (c?.seq !== seq) return;
		this.sent++;
		this.sentBytes += c.size;
		this.flow();
	}

	/** The server stored everything up to `seq`: forget it. */
	stored(seq: number): void {
		this.forgetStored(seq);
		this.flow();
	}

	/** After a reconnect: the server has up to `storedSeq`; everything after it goes again, in order. */
	resumeAfter(storedSeq: number): void {
		this.forgetStored(storedSeq);
		this.sent = 0;
		this.sentBytes = 0;
		this.flow();
	}

	/** Bytes dropped since the last call. */
	takeLost(): number {
		const n = this.lost;
		this.lost = 0;
		return n;
	}

	clear(): void {
		this.chunks.length = 0;
		this.bytes = 0;
		this.sent = 0;
		this.sentBytes = 0;
		this.flow();
	}

	private forgetStored(seq: number): void {
		while (this.chunks.length && this.chunks[0].seq <= seq) {
			const old = this.chunks.shift()!;
			this.bytes -= old.size;
			this.forgetSent(old);
		}
	}

	/** `old` was the first chunk and is gone: if it had been sent, the sent ones are one fewer. */
	private forgetSent(old: Chunk): void {
		if (this.sent === 0) return;
		this.sent--;
		this.sentBytes -= old.size;
	}

	/**
	 * Pause while too much waits to be sent (a slow link, or none) or to be stored (a server that stopped
	 * acknowledging: its access log is behind, or it is down), resume once both are low again.
	 */
	private flow(): void {
		const unsent = this.bytes - this.sentBytes;
		if (!this.hold && (unsent >= FLOW_HIGH_BYTES || this.bytes >= this.holdAt)) {
			this.hold = true;
			this.onFlow(true);
		} else if (this.hold && unsent <= FLOW_LOW_BYTES && this.bytes <= this.releaseAt) {
			this.hold = false;
			this.onFlow(false);
		}
	}
}
