import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { TASK_MAX_CLOCK_SKEW_MS, TASK_MAX_LIFETIME_MS } from '../../../src/lib/protocol/tasks';

/** What the store says about a nonce it is asked to consume. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full' | 'lost' | 'unwritable';

export interface ReplayStoreOptions {
	/** Most nonces held at once; beyond it new tasks are refused until old ones expire. Default 20,000. */
	capacity?: number;
	/** Clock skew tolerated by the verifier; a nonce is kept until exp + skew. Default 30 s. */
	maxSkewMs?: number;
	/** For tests: the clock. */
	now?: () => number;
}

interface ReplayFile {
	v: 1;
	/** Set when the record was lost: envelopes issued before this are refused, because they may be replays. */
	issuedAfter: number | null;
	/** nonce → keep until (epoch ms). */
	seen: Record<string, number>;
}

const NONCE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Nonces of envelopes the agent has accepted, kept for each envelope's lifetime, in memory and (when
 * a file is given) on disk, written before the task runs, so a restarted agent still refuses replays.
 *
 * If the file exists but cannot be read, the record is lost; rather than trust every old envelope
 * again, the store then only accepts envelopes issued after it started (plus the clock skew), until
 * every envelope that could have been seen has expired.
 */
export class ReplayStore {
	private readonly seen = new Map<string, number>();
	private issuedAfter: number | null = null;
	private readonly capacity: number;
	private readonly skew: number;
	private readonly now: () => number;

	private constructor(
		readonly file: string | null,
		opts: ReplayStoreOptions
	) {
		this.capacity = opts.capacity ?? 20_000;
		this.skew = opts.maxSkewMs ?? TASK_MAX_CLOCK_SKEW_MS;
		this.now = opts.now ?? Date.now;
	}

	/** A store kept only in memory (virtual agents, tests). */
	static memory(opts: ReplayStoreOptions = {}): ReplayStore {
		return new ReplayStore(null, opts);
	}

	/** A store persisted to `file` (created on first use, mode 0600). Never throws on a bad file. */
	static open(file: string, opts: ReplayStoreOptions = {}): ReplayStore {
		const store = new ReplayStore(file, opts);
		store.load();
		return store;
	}

	get size(): number {
		return this.seen.size;
	}

	has(nonce: string): boolean {
		const until = this.seen.get(nonce);
		return until !== undefined && until > this.now();
	}

	/**
	 * Record a nonce unless it was seen before. Only call this for envelopes whose signature checked
	 * out, so nobody but the server can fill the store.
	 */
	consume(envelope: { nonce: string; iat: number; exp: number }): ReplayVerdict {
		const now = this.now();
		this.prune(now);
		if (this.seen.has(envelope.nonce)) return 'replayed';
		if (this.issuedAfter !== null && envelope.iat < this.issuedAfter) return 'lost';
		if (this.seen.size >= this.capacity) return 'full';
		this.seen.set(envelope.nonce, envelope.exp + this.skew);
		try {
			this.save();
		} catch {
			// Keep it in memory (still refused while this process runs) but do not run the task:
			// after a restart nothing would stop a replay.
			return 'unwritable';
		}
		return 'fresh';
	}

	private prune(now: number) {
		for (const [nonce, until] of this.seen) if (until <= now) this.seen.delete(nonce);
		// Every envelope issued before the loss has expired once the longest lifetime has passed.
		if (this.issuedAfter !== null && now > this.issuedAfter + TASK_MAX_LIFETIME_MS + this.skew)
			this.issuedAfter = null;
	}

	private load() {
		if (!this.file) return;
		let text: string;
		try {
			text = readFileSync(this.file, 'utf8');
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // first start
			this.markLost();
			return;
		}
		try {
			const data = JSON.parse(text) as ReplayFile;
			if (data?.v !== 1 || typeof data.seen !== 'object' || data.seen === null) throw new Error('bad file');
			if (data.issuedAfter !== null && !Number.isFinite(data.issuedAfter)) throw new Error('bad file');
			this.issuedAfter = data.issuedAfter;
			for (const [nonce, until] of Object.entries(data.seen)) {
				if (!NONCE.test(nonce) || !Number.isFinite(until)) throw new Error('bad entry');
				this.seen.set(nonce, until);
			}
			this.prune(this.now());
		} catch {
			this.seen.clear();
			this.markLost();
		}
	}

	private markLost() {
		this.issuedAfter = this.now() + this.skew;
		try {
			this.save();
		} catch {
			// The marker lives in memory for this run; consume() reports unwritable on the next task.
		}
	}

	private save() {
		if (!this.file) return;
		const data: ReplayFile = { v: 1, issuedAfter: this.issuedAfter, seen: Object.fromEntries(this.seen) };
		const tmp = `${this.file}.${process.pid}.tmp`;
		const fd = openSync(tmp, 'w', 0o600);
		try {
			writeSync(fd, JSON.stringify(data));
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		try {
			renameSync(tmp, this.file);
		} catch (err) {
			try {
				unlinkSync(tmp);
			} catch {
				// nothing left to clean
			}
			throw err;
		}
	}
}
