// The line indexer: turns each console's output records into text lines (access_log_lines, trigram-indexed)
// in its own transactions, a moment after the writer commits them. Trigram indexing costs several times what
// writing the records does, so it must not hold up the records; during a flood it waits (a bounded while)
// and then catches up. Each console's state row is locked while indexed, so two nodes never both index one.
import type { Db } from '../db/client';
import { buf, type StoredRecord } from './batch';
import { placeholders, rawTransaction } from './raw';
import { splitOutput } from './text';

/** Records read per transaction. */
const RECORDS_PER_STEP = 128;
/** While a console floods (the writer is busy), indexing waits, at most FLOOD_WAIT_MS at a time, and then
 * takes a small step, so it keeps moving without taking the CPU from the flood's echoes. */
const FLOOD_WAIT_MS = 2000;
const FLOOD_RECORDS_PER_STEP = 8;
const SWEEP_MS = 30_000;
/**
 * After a commit the indexer starts this much later, so a console's keystrokes and echoes (a commit every few
 * milliseconds) are indexed in one transaction, not one each; search sees them a fifth of a second later.
 */
const INDEX_DELAY_MS = 200;
/**
 * Records this node committed are kept (up to this many bytes in all) for the indexer, so it does not read
 * back what it was just handed (a bytea select costs the database more than the insert did). Past the bound,
 * and for records other nodes wrote, it reads them from the database as before.
 */
const RECENT_BYTES = 16 * 1024 * 1024;
const CLOSED = /PGlite is closed|after calling end on the pool/i;

interface StateRow {
	seq: string | number;
	line_count: string | number;
	partial: Uint8Array | null;
	partial_at: Date | string | null;
}
interface RecordRow {
	seq: string | number;
	kind: string;
	at: Date | string;
	device_id: number | null;
	data: Uint8Array;
}

/** Committed records of this node, per console in seq order, not yet indexed. */
export class RecentRecords {
	private readonly byConsole = new Map<number, StoredRecord[]>();
	private bytes = 0;
	/** The highest seq committed here per console (more may wait in the database past a gap). */
	private readonly last = new Map<number, number>();

	constructor(private readonly maxBytes = RECENT_BYTES) {}

	add(records: StoredRecord[]): void {
		for (const r of records) {
			this.last.set(r.consoleId, Math.max(this.last.get(r.consoleId) ?? 0, r.seq));
			if (this.bytes + r.data.byteLength > this.maxBytes) continue;
			let list = this.byConsole.get(r.consoleId);
			if (!list) this.byConsole.set(r.consoleId, (list = []));
			list.push(r);
			this.bytes += r.data.byteLength;
		}
	}

	/** Forgets what is indexed (seq ≤ `upTo`); returns the following records held, unbroken, at most `limit`. */
	after(consoleId: number, upTo: number, limit: number): StoredRecord[] {
		const list = this.byConsole.get(consoleId);
		if (!list) return [];
		let drop = 0;
		while (drop < list.length && list[drop].seq <= upTo) this.bytes -= list[drop++].data.byteLength;
		if (drop) list.splice(0, drop);
		if (!list.length) {
			this.byConsole.delete(consoleId);
			return [];
		}
		const out: StoredRecord[] = [];
		for (let seq = upTo + 1; out.length < limit && out.length < list.length; seq++) {
			if (list[out.length].seq !== seq) break;
			out.push(list[out.length]);
		}
		return out;
	}

	/** True when this node committed records of the console past `seq`. */
	hasPast(consoleId: number, seq: number): boolean {
		return (this.last.get(consoleId) ?? 0) > seq;
	}

	clear(): void {
		this.byConsole.clear();
		this.last.clear();
		this.bytes = 0;
	}

	get heldBytes(): number {
		return this.bytes;
	}
}

/** Indexes the next records of one console; true when there may be more. */
export async function indexStep(
	db: Db,
	consoleId: number,
	limit = RECORDS_PER_STEP,
	recent?: RecentRecords
): Promise<boolean> {
	return rawTransaction(db, async (q) => {
		await q('insert into access_log_line_state (console_id) values ($1) on conflict do nothing', [consoleId]);
		const [st] = await q<StateRow>(
			'select seq, line_count, partial, partial_at from access_log_line_state where console_id = $1 for update skip locked',
			[consoleId]
		);
		if (!st) return false;
		const held = recent?.after(consoleId, Number(st.seq), limit) ?? [];
		const rows: RecordRow[] = held.length
			? held.map((r) => ({ seq: r.seq, kind: r.kind, at: r.at, device_id: r.deviceId, data: r.data }))
			: await q<RecordRow>(
					`select seq, kind, at, device_id, data from access_log_records where console_id = $1 and seq > $2
					order by seq limit $3`,
					[consoleId, st.seq, limit]
				);
		if (!rows.length) return false;
		const upTo = Number(rows[rows.length - 1].seq);
		let lineCount = Number(st.line_count);
		let partial = st.partial;
		let partialAt = st.partial_at === null ? null : new Date(st.partial_at);
		const lines: unknown[] = [];
		for (const r of rows) {
			if (r.kind !== 'output') continue;
			const at = new Date(r.at);
			const split = splitOutput(partial, r.data);
			if (split.lines) {
				lines.push(consoleId, lineCount + 1, split.lines, r.device_id, Number(r.seq), at, split.text);
				lineCount += split.lines;
			}
			if (!split.partial) partialAt = null;
			else if (!partial || split.lines) partialAt = at;
			partial = split.partial;
		}
		for (let i = 0; i < lines.length; i += 7 * 500) {
			const slice = lines.slice(i, i + 7 * 500);
			await q(
				`insert into access_log_lines (console_id, first_line, line_count, device_id, seq, at, text)
				values ${placeholders(slice.length / 7, 7)}`,
				slice
			);
		}
		await q(
			'update access_log_line_state set seq = $2, line_count = $3, partial = $4, partial_at = $5 where console_id = $1',
			[consoleId, upTo, lineCount, partial ? buf(partial) : null, partialAt]
		);
		return rows.length === limit || (held.length > 0 && recent!.hasPast(consoleId, upTo));
	});
}

/** Consoles whose chain runs past what the indexer has done. */
async function behind(db: Db): Promise<number[]> {
	const rows = await rawTransaction(db, (q) =>
		q<{ console_id: number }>(
			`select h.console_id from access_log_heads h left join access_log_line_state s on s.console_id = h.console_id
			where h.last_seq > coalesce(s.seq, 0) limit 10000`
		)
	);
	return rows.map((r) => r.console_id);
}

export class LineIndexer {
	private dirty = new Set<number>();
	private running: Promise<void> | null = null;
	private sweepTimer: NodeJS.Timeout | null = null;
	private delayTimer: NodeJS.Timeout | null = null;
	private stopped = false;
	private idle: (() => void)[] = [];
	private failures = 0;
	private readonly recent = new RecentRecords();

	constructor(
		private readonly db: Db,
		/** The writer is taking a flood (writer.ts): index in small steps, with pauses. */
		private readonly busy: () => boolean
	) {}

	/** The writer committed these: index them, from memory while they are held. */
	committed(records: StoredRecord[]): void {
		if (this.stopped || !records.length) return;
		this.recent.add(records);
		this.kick(new Set(records.map((r) => r.consoleId)));
	}

	kick(consoleIds: Iterable<number>): void {
		if (this.stopped) return;
		for (const id of consoleIds) this.dirty.add(id);
		if (!this.sweepTimer) {
			// The first kick after a start also picks up what an earlier process left unindexed.
			this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
			this.sweepTimer.unref();
			void this.sweep();
		}
		this.startSoon();
	}

	/** Starts after INDEX_DELAY_MS, gathering what is committed meanwhile (unless running or already due). */
	private startSoon(): void {
		if (this.running || this.delayTimer || this.stopped) return;
		this.delayTimer = setTimeout(() => {
			this.delayTimer = null;
			this.start();
		}, INDEX_DELAY_MS);
	}

	/** Resolves when every console is indexed up to what was committed when this was called. */
	async settle(): Promise<void> {
		await this.sweep();
		if (!this.running) return;
		await new Promise<void>((r) => this.idle.push(r));
	}

	async stop(): Promise<void> {
		this.halt();
		await this.running;
	}

	private halt(): void {
		this.stopped = true;
		if (this.sweepTimer) clearInterval(this.sweepTimer);
		if (this.delayTimer) clearTimeout(this.delayTimer);
		this.delayTimer = null;
		this.dirty.clear();
		this.recent.clear();
	}

	private async sweep(): Promise<void> {
		if (this.stopped) return;
		try {
			for (const id of await behind(this.db)) this.dirty.add(id);
		} catch (e) {
			const message = (e as Error).message;
			if (CLOSED.test(message)) return this.halt();
			console.error(`Access log: cannot find consoles to index: ${message}`);
		}
		this.start();
	}

	private start(): void {
		if (this.delayTimer) clearTimeout(this.delayTimer);
		this.delayTimer = null;
		if (this.running || !this.dirty.size) return;
		this.running = this.loop().finally(() => {
			this.running = null;
			// Kicked while running: those commits are gathered for a moment too.
			if (this.dirty.size && !this.stopped) this.startSoon();
			else for (const r of this.idle.splice(0)) r();
		});
	}

	private async loop(): Promise<void> {
		while (this.dirty.size && !this.stopped) {
			const waitUntil = Date.now() + FLOOD_WAIT_MS;
			while (this.busy() && Date.now() < waitUntil && !this.stopped) await sleep(50);
			if (this.stopped) return;
			const [id] = this.dirty;
			this.dirty.delete(id);
			try {
				const limit = this.busy() ? FLOOD_RECORDS_PER_STEP : RECORDS_PER_STEP;
				if (await indexStep(this.db, id, limit, this.recent)) this.dirty.add(id);
			} catch (e) {
				const message = (e as Error).message;
				if (this.stopped) return;
				// The database was closed under us (shutdown): the next start's sweep picks up what is left.
				if (CLOSED.test(message)) return this.halt();
				if (this.failures++ % 60 === 0)
					console.error(`Access log: indexing console ${id} failed (retrying): ${message}`);
				this.dirty.add(id);
				await sleep(1000);
			}
		}
	}
}

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}
