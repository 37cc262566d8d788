// Reports waiting to be sent, oldest first. Bounded by count and bytes; past either bound the oldest is
// dropped and counted. Sequence numbers continue from the server's last one (learnt at the first hello),
// so a report keeps its number across reconnects and the server can drop one it has already applied.
import { MAX_AGENT_MESSAGE_BYTES, type ReportKind } from '../../src/lib/protocol/agent';

export interface Pending {
	/** null until the first hello tells us where the server's sequence stands. */
	seq: number | null;
	kind: ReportKind;
	at: string;
	body: unknown;
	bytes: number;
}

export class Outbox {
	private items: Pending[] = [];
	private bytes = 0;
	private nextSeq = 0;
	/** Reports dropped since start: buffer full, or a single report larger than the link allows. */
	dropped = 0;
	onPush: () => void = () => {};

	constructor(
		private readonly maxMessages: number,
		private readonly maxBytes: number
	) {}

	get size(): number {
		return this.items.length;
	}

	push(kind: ReportKind, body: unknown): boolean {
		const bytes = Buffer.byteLength(JSON.stringify(body) ?? '') + 200;
		if (bytes > MAX_AGENT_MESSAGE_BYTES) {
			this.dropped++;
			return false;
		}
		this.items.push({
			seq: this.nextSeq ? this.nextSeq++ : null,
			kind,
			at: new Date().toISOString(),
			body,
			bytes
		});
		this.bytes += bytes;
		while (this.items.length > this.maxMessages || this.bytes > this.maxBytes) {
			this.bytes -= this.items.shift()!.bytes;
			this.dropped++;
		}
		this.onPush();
		return true;
	}

	/** After each hello: numbers continue after the server's last applied sequence. */
	establish(lastSeq: number): void {
		this.nextSeq = Math.max(this.nextSeq, lastSeq + 1);
		for (const it of this.items) if (it.seq === null) it.seq = this.nextSeq++;
	}

	first(): Pending | undefined {
		return this.items[0];
	}

	/** Removes the first report once the server has acknowledged (or finally refused) it. */
	shift(p: Pending): void {
		if (this.items[0] !== p) return;
		this.items.shift();
		this.bytes -= p.bytes;
	}
}
