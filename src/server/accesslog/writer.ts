// Group commit: entries queue per database and go in one transaction every ~10 ms (at once when a batch is
// full), one transaction at a time, so a console's records keep the order of the calls. A failed batch is
// retried until it commits: skipping it would leave a hole that the agent's resend could not fill.
import type { Db } from '../db/client';
import { writeBatch, type NormalEntry, type StoredRecord } from './batch';
import { LineIndexer } from './indexer';
import { accessLogKey } from './key';

/** Wait this long for more entries before writing a batch that is not full. */
const GATHER_MS = 10;
/** A batch is full at this many bytes or entries. */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_ENTRIES = 2000;
/** Callers wait (in order) once this much is queued and not yet committed. */
export const QUEUE_BYTES = 32 * 1024 * 1024;
/** Accounted per entry besides its data, so a flood of keystrokes is bounded too. */
const ENTRY_OVERHEAD = 256;
/**
 * Committed faster than this, or with this much queued, a console is flooding: line indexing (indexer.ts) holds
 * back, so the flood's output and the echoes behind it get the CPU, and catches up afterwards.
 */
const BUSY_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** One batch this large is a flood at once (a batch gathers about 10 ms), before a window's rate says so. */
const BUSY_BATCH_BYTES = 256 * 1024;
const BUSY_BACKLOG_BYTES = 8 * 1024 * 1024;
/** The commit rate is measured over windows of this length; busy lasts one window past the last busy one. */
const RATE_WINDOW_MS = 250;

interface Pending {
	entry: NormalEntry;
	bytes: number;
	resolve(): void;
	reject(e: Error): void;
}

const CLOSED = /PGlite is closed|after calling end on the pool/i;

class Writer {
	private queue: Pending[] = [];
	private waiting: Pending[] = [];
	private queued = 0;
	private timer: NodeJS.Timeout | null = null;
	private running: Promise<void> | null = null;
	private idle: (() => void)[] = [];
	private rateFrom = 0;
	private rateBytes = 0;
	private busyUntil = 0;
	readonly indexer: LineIndexer;

	constructor(private readonly db: Db) {
		this.indexer = new LineIndexer(db, () => this.busy);
	}

	/** A console is flooding (see BUSY_BYTES_PER_SECOND). */
	get busy(): boolean {
		return Date.now() < this.busyUntil || this.backlog > BUSY_BACKLOG_BYTES;
	}

	private committedBytes(bytes: number): void {
		const now = Date.now();
		if (bytes >= BUSY_BATCH_BYTES) this.busyUntil = Math.max(this.busyUntil, now + RATE_WINDOW_MS);
		const span = now - this.rateFrom;
		if (span >= RATE_WINDOW_MS) {
			if ((this.rateBytes * 1000) / span > BUSY_BYTES_PER_SECOND) this.busyUntil = now + RATE_WINDOW_MS;
			this.rateFrom = now;
			this.rateBytes = 0;
		}
		this.rateBytes += bytes;
	}

	get backlog(): number {
		return this.queued + this.waiting.reduce((n, p) => n + p.bytes, 0);
	}

	append(entry: NormalEntry): Promise<void> {
		return new Promise((resolve, reject) => {
			const p: Pending = { entry, bytes: entry.data.byteLength + ENTRY_OVERHEAD, resolve, reject };
			if (this.waiting.length || this.queued >= QUEUE_BYTES) this.waiting.push(p);
			else this.enqueue(p);
		});
	}

	/** Resolves once everything appended so far is committed (or failed for good). */
	flush(): Promise<void> {
		if (!this.queue.length && !this.waiting.length && !this.running) return Promise.resolve();
		if (this.timer) {
			clearTimeout(this.timer);
			this.timer = null;
			this.start();
		}
		return new Promise((r) => this.idle.push(r));
	}

	private enqueue(p: Pending): void {
		this.queue.push(p);
		this.queued += p.bytes;
		if (this.running) return;
		if (this.queued >= BATCH_BYTES || this.queue.length >= BATCH_ENTRIES) {
			if (this.timer) clearTimeout(this.timer);
			this.timer = null;
			this.start();
		} else if (!this.timer) {
			this.timer = setTimeout(() => {
				this.timer = null;
				this.start();
			}, GATHER_MS);
		}
	}

	private admit(): void {
		while (this.waiting.length && this.queued < QUEUE_BYTES) this.enqueue(this.waiting.shift()!);
	}

	private start(): void {
		if (this.running) return;
		this.running = this.loop().finally(() => {
			this.running = null;
			if (this.queue.length) this.start();
			else for (const r of this.idle.splice(0)) r();
		});
	}

	private take(): Pending[] {
		let bytes = 0;
		let n = 0;
		while (n < this.queue.length && n < BATCH_ENTRIES && (n === 0 || bytes < BATCH_BYTES))
			bytes += this.queue[n++].bytes;
		return this.queue.splice(0, n);
	}

	private async loop(): Promise<void> {
		while (this.queue.length) {
			const batch = this.take();
			const { error, stored } = await this.commit(batch);
			if (!error) {
				this.committedBytes(batch.reduce((n, p) => n + p.entry.data.byteLength, 0));
				this.indexer.committed(stored);
			}
			this.queued -= batch.reduce((n, p) => n + p.bytes, 0);
			for (const p of batch) {
				if (error) p.reject(error);
				else p.resolve();
			}
			if (error) for (const p of [...this.queue.splice(0), ...this.waiting.splice(0)]) p.reject(error);
			this.queued = this.queue.reduce((n, p) => n + p.bytes, 0);
			this.admit();
		}
	}

	/** Commits one batch, retrying with backoff; gives up only when the database was closed. */
	private async commit(batch: Pending[]): Promise<{ error: Error | null; stored: StoredRecord[] }> {
		for (let attempt = 0; ; attempt++) {
			try {
				const stored = await writeBatch(
					this.db,
					accessLogKey(),
					batch.map((p) => p.entry)
				);
				return { error: null, stored };
			} catch (e) {
				const err = e instanceof Error ? e : new Error(String(e));
				if (CLOSED.test(err.message) || attempt > 1000)
					return { error: new Error(`The access log could not be written: ${err.message}`), stored: [] };
				if (attempt === 0 || attempt % 20 === 0)
					console.error(`Access log: writing ${batch.length} records failed (retrying): ${err.message}`);
				await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** Math.min(attempt, 7))));
			}
		}
	}
}

const writers = new Map<Db, Writer>();

export function writerFor(db: Db): Writer {
	let w = writers.get(db);
	if (!w) writers.set(db, (w = new Writer(db)));
	return w;
}

/** Waits until every queued entry of every database is committed (for shutdown and tests). */
export async function flushAll(): Promise<void> {
	await Promise.all([...writers.values()].map((w) => w.flush()));
}

/** Forgets a database's writer after flushing it (call before closing the database). */
export async function closeWriter(db: Db): Promise<void> {
	const w = writers.get(db);
	if (!w) return;
	await w.flush();
	await w.indexer.stop();
	writers.delete(db);
}
