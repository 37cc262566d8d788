// The reconciliation worker, one per node: takes hosts whose stored inventory waits for the CMDB, up to
// BATCH_HOSTS at a time, and reconciles them together (batch.ts). Woken a few milliseconds after a report is
// stored (reports arriving together share a batch: while they keep coming, it lets up to a batch gather for at
// most GATHER_MS, and while a batch runs the next one fills up), and every few seconds anyway: a host left
// pending by a crash, by a report another node stored, or by a failure whose retry time has come is never
// forgotten.
import crypto from 'node:crypto';
import type { Db } from '../db/client';
import type { Runtime } from '../runtime';
import type { Actor } from '../audit/audit';
import { reconcileClaimed } from './batch';
import { claimHosts, failClaim, releaseClaims, STALE_CLAIM_SECONDS } from './queue';

export const BATCH_HOSTS = 100;
const POLL_MS = 5000;
const DEBOUNCE_MS = 10;
/** While reports keep coming, wait up to this long for a batch to fill: a bigger batch costs less per host. */
const GATHER_MS = 1000;
/** A report kicks the worker before its transaction commits: look again shortly after a recent kick. */
const FOLLOW_UP_MS = 50;
const FOLLOW_UP_WINDOW_MS = 200;

export interface WorkerOptions {
	/** This node's id: claims carry it. */
	node: string;
	batch?: number;
	pollMs?: number;
	debounceMs?: number;
	gatherMs?: number;
	staleSeconds?: number;
	/** Child records per reconcile() transaction. */
	chunkChildren?: number;
	actor?: Actor;
	/** At start, release the claims this node (or, with one node, anyone) left behind. */
	release?: 'node' | 'all' | 'none';
}

export interface WorkerStats {
	/** Claims that took hosts. */
	batches: number;
	/** reconcile() calls. */
	calls: number;
	hosts: number;
	largestBatch: number;
	failed: number;
	rowsWritten: number;
	notified: number;
}

export class InventoryWorker {
	readonly stats: WorkerStats = {
		batches: 0,
		calls: 0,
		hosts: 0,
		largestBatch: 0,
		failed: 0,
		rowsWritten: 0,
		notified: 0
	};
	private timer: ReturnType<typeof setTimeout> | null = null;
	private poll: ReturnType<typeof setInterval> | null = null;
	private running: Promise<void> | null = null;
	private again = false;
	private lastKick = 0;
	/** Reports stored on this node since the last claim. */
	private kicks = 0;
	private stopped = false;

	constructor(
		private readonly db: Db,
		private readonly o: WorkerOptions
	) {}

	/** Releases left-over claims, takes what is pending, and polls from now on. */
	async start(): Promise<void> {
		if (this.o.release === 'all' || this.o.release === 'node')
			await releaseClaims(this.db, this.o.release === 'all' ? null : this.o.node);
		this.poll = setInterval(() => void this.run(), this.o.pollMs ?? POLL_MS);
		this.poll.unref?.();
		void this.run();
	}

	/** A host was queued (called from within the report's transaction, so it looks a moment later). */
	kick(): void {
		this.lastKick = Date.now();
		this.kicks++;
		if (this.stopped) return;
		if (this.running) this.again = true;
		else this.schedule(this.o.debounceMs ?? DEBOUNCE_MS);
	}

	/** Runs until nothing is due (what is in its retry wait stays). */
	drain(): Promise<void> {
		return this.run();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		if (this.poll) clearInterval(this.poll);
		this.timer = this.poll = null;
		await this.running;
	}

	private lastLog = { message: '', at: 0 };
	/** The same failure (the database is away) is logged once a minute, not at every poll. */
	private logFailure(message: string): void {
		const now = Date.now();
		if (message === this.lastLog.message && now - this.lastLog.at < 60_000) return;
		this.lastLog = { message, at: now };
		console.error('inventory: the reconciliation worker failed:', message);
	}

	private schedule(ms: number): void {
		if (this.timer || this.stopped) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			void this.run();
		}, ms);
		this.timer.unref?.();
	}

	private run(): Promise<void> {
		if (this.running) {
			this.again = true;
			return this.running;
		}
		if (this.stopped) return Promise.resolve();
		this.running = (async () => {
			const started = Date.now();
			try {
				do {
					this.again = false;
					for (;;) {
						await this.gather();
						if (this.stopped || (await this.once()) === 0) break;
					}
				} while (this.again && !this.stopped);
			} catch (e) {
				if (!this.stopped) this.logFailure((e as Error).message);
			} finally {
				this.running = null;
			}
			if (this.lastKick >= started - FOLLOW_UP_WINDOW_MS) this.schedule(FOLLOW_UP_MS);
		})();
		return this.running;
	}

	/**
	 * While reports keep arriving (the last one within the debounce) and fewer than a batch have, lets them
	 * gather, for at most gatherMs. A lone report is taken after the debounce alone.
	 */
	private async gather(): Promise<void> {
		const batch = this.o.batch ?? BATCH_HOSTS;
		const debounce = this.o.debounceMs ?? DEBOUNCE_MS;
		const until = Date.now() + (this.o.gatherMs ?? GATHER_MS);
		for (;;) {
			const now = Date.now();
			if (this.stopped || this.kicks === 0 || this.kicks >= batch) return;
			if (now - this.lastKick >= debounce || now >= until) return;
			await new Promise((r) => setTimeout(r, Math.min(debounce, until - now)));
		}
	}

	/** One batch: claim, reconcile, finish. Returns how many hosts it took. */
	private async once(): Promise<number> {
		const token = crypto.randomUUID();
		this.kicks = 0;
		const hosts = await claimHosts(this.db, {
			node: this.o.node,
			token,
			limit: this.o.batch ?? BATCH_HOSTS,
			staleSeconds: this.o.staleSeconds ?? STALE_CLAIM_SECONDS
		});
		if (!hosts.length) return 0;
		try {
			const r = await reconcileClaimed(this.db, hosts, token, {
				actor: this.o.actor,
				chunkChildren: this.o.chunkChildren
			});
			this.stats.batches++;
			this.stats.calls += r.calls;
			this.stats.hosts += hosts.length;
			this.stats.largestBatch = Math.max(this.stats.largestBatch, hosts.length);
			this.stats.failed += r.failed.length;
			this.stats.rowsWritten += r.result.rowsWritten;
			this.stats.notified += r.notified;
		} catch (e) {
			if (this.stopped) return 0;
			const message = (e as Error).message;
			console.error(`inventory: reconciling ${hosts.length} hosts failed; they are retried later:`, message);
			await failClaim(this.db, token, message).catch(() => {
				/* the claim runs out instead (STALE_CLAIM_SECONDS) */
			});
			this.stats.failed += hosts.length;
			return 0;
		}
		return hosts.length;
	}
}

const KEY = Symbol.for('fleetdesk.inventoryWorker');
type G = typeof globalThis & { [KEY]?: InventoryWorker };

/** The worker running in this process, if any. */
export function inventoryWorker(): InventoryWorker | undefined {
	return (globalThis as G)[KEY];
}

/** Wakes this process's worker, if it has one (other nodes' workers find the host when they poll). */
export function kickInventoryWorker(): void {
	inventoryWorker()?.kick();
}

/**
 * Starts this node's worker (the agent gateway does, next to the report handlers); it stops when `server`
 * closes.
 */
export function startInventoryWorker(
	rt: Pick<Runtime, 'db' | 'dbKind' | 'nodeId'>,
	server?: { once(event: 'close', fn: () => void): unknown },
	opts: Partial<WorkerOptions> = {}
): InventoryWorker {
	const w = new InventoryWorker(rt.db, {
		node: rt.nodeId,
		release: rt.dbKind === 'pglite' ? 'all' : 'node',
		...opts
	});
	(globalThis as G)[KEY] = w;
	void w
		.start()
		.catch((e) =>
			console.error('inventory: the reconciliation worker could not start:', (e as Error).message)
		);
	server?.once('close', () => {
		if ((globalThis as G)[KEY] === w) (globalThis as G)[KEY] = undefined;
		void w.stop();
	});
	return w;
}
