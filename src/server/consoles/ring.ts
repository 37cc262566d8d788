/**
 * The recent output of one console on the node that holds its agent's link: what a viewer who joins gets
 * before live output. Bounded by bytes; chunks are kept as received (no copying until a snapshot).
 */
export class Ring {
	#chunks: { seq: number; data: Uint8Array }[] = [];
	#head = 0;
	#bytes = 0;
	/** The room sequence number before the first chunk held (what a viewer has when the ring is empty). */
	#floor: number;

	constructor(
		public maxBytes: number,
		floor: number
	) {
		this.#floor = floor;
	}

	get lastSeq(): number {
		return this.#chunks.length > this.#head ? this.#chunks[this.#chunks.length - 1].seq : this.#floor;
	}

	/** The sequence number just before the oldest chunk still held. */
	get floor(): number {
		return this.#floor;
	}

	get bytes(): number {
		return this.#bytes;
	}

	/** Adds a chunk; older chunks past `maxBytes` go, except those numbered after `keepAfter`. */
	push(seq: number, data: Uint8Array, keepAfter = Number.MAX_SAFE_INTEGER): void {
		if (seq <= this.lastSeq) return;
		this.#chunks.push({ seq, data });
		this.#bytes += data.length;
		while (
			this.#head < this.#chunks.length - 1 &&
			this.#chunks[this.#head].seq <= keepAfter &&
			this.#bytes - this.#chunks[this.#head].data.length >= this.maxBytes
		) {
			const old = this.#chunks[this.#head++];
			this.#bytes -= old.data.length;
			this.#floor = old.seq;
		}
		// Compact now and then rather than shifting the array on every chunk.
		if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
			this.#chunks = this.#chunks.slice(this.#head);
			this.#head = 0;
		}
	}

	/** Starts again after `floor` (a new pipe whose numbering does not follow on). */
	reset(floor: number): void {
		this.#chunks = [];
		this.#head = 0;
		this.#bytes = 0;
		this.#floor = floor;
	}

	/** The last `maxBytes` (at most) after `after`, as one buffer, and the sequence number it ends at. */
	snapshot(maxBytes: number, after = -1): { seq: number; data: Buffer } {
		const parts: Uint8Array[] = [];
		let n = 0;
		for (let i = this.#chunks.length - 1; i >= this.#head && n < maxBytes; i--) {
			const c = this.#chunks[i];
			if (c.seq <= after) break;
			parts.push(c.data);
			n += c.data.length;
		}
		parts.reverse();
		let data = Buffer.concat(parts);
		if (data.length > maxBytes) data = data.subarray(data.length - maxBytes);
		return { seq: this.lastSeq, data };
	}
}
