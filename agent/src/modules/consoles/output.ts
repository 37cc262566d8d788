// A pipe's output on its way to the server: numbered chunks (from 1, no gaps), kept until the server says it
// stored them, so a link drop or a server crash loses nothing the agent read. Bounded: past `retainBytes`
// the oldest chunks go, and the loss is counted for the room's status line.
import { PIPE_MAX_CHUNK_BYTES } from '../../../../src/lib/protocol/consoles';

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
	/** Bytes dropped since the last call to takeLost(). */
	private lost = 0;

	constructor(private readonly retainBytes: number) {}

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
			if (this.sent > 0) this.sent--;
		}
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
		if (this.chunks[this.sent]?.seq === seq) this.sent++;
	}

	/** The server stored everything up to `seq`: forget it. */
	stored(seq: number): void {
		while (this.chunks.length && this.chunks[0].seq <= seq) {
			this.bytes -= this.chunks.shift()!.size;
			if (this.sent > 0) this.sent--;
		}
	}

	/** After a reconnect: the server has up to `storedSeq`; everything after it goes again, in order. */
	resumeAfter(storedSeq: number): void {
		this.stored(storedSeq);
		this.sent = 0;
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
	}
}
