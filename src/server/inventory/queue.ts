// Hosts waiting for reconciliation, claimed safely by several nodes on one PostgreSQL: a claim takes due rows
// that nobody holds (or whose holder went quiet: a stale claim) with FOR UPDATE SKIP LOCKED, so two nodes never
// take the same host and neither waits for a report being stored. Finishing clears the host only if no report
// came in since the claim (reconcile_version); otherwise the host stays due and is taken again.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import type { InventoryChange, PendingInventoryChange } from '../db/schema';
import type { InventorySection } from '../../lib/protocol/inventory';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A claim older than this is taken over: its node died or hangs. */
export const STALE_CLAIM_SECONDS = 300;
/** Retry after a failure: 30 s, doubling, at most an hour. */
export const RETRY_BASE_SECONDS = 30;
export const RETRY_MAX_SECONDS = 3600;

export interface ClaimedHost {
	key: string;
	name: string;
	source: 'agent' | 'ocs';
	deviceId: number | null;
	ciId: number | null;
	/** Sections the host holds (a section never received is not reconciled). */
	held: InventorySection[];
	sections: InventorySection[];
	version: number;
	change: PendingInventoryChange | null;
	attempts: number;
}

interface ClaimRow {
	key: string;
	name: string;
	source: string;
	device_id: number | null;
	ci_id: number | null;
	hashes: Record<string, string>;
	reconcile_sections: InventorySection[] | null;
	reconcile_version: number;
	pending_change: PendingInventoryChange | null;
	reconcile_attempts: number;
	reconcile_due_at: string | Date | null;
}

export interface ClaimOptions {
	node: string;
	token: string;
	limit: number;
	/** Only these hosts, due or not (a caller that reconciles what it just stored). */
	keys?: string[];
	staleSeconds?: number;
}

/** Claims up to `limit` due hosts, oldest due first. */
export async function claimHosts(db: Db, o: ClaimOptions): Promise<ClaimedHost[]> {
	const free = sql`(reconcile_claimed_at is null or reconcile_claimed_at < now() - make_interval(secs => ${o.staleSeconds ?? STALE_CLAIM_SECONDS}))`;
	const which = o.keys
		? sql`key in (select jsonb_array_elements_text(${JSON.stringify(o.keys)}::jsonb)) and reconcile_sections is not null`
		: sql`reconcile_due_at <= now()`;
	const rows = await queryRows<ClaimRow>(
		db,
		sql`update inventories set reconcile_claimed_at = now(), reconcile_claimed_by = ${o.node}, reconcile_claim = ${o.token}
			where key in (select key from inventories where ${which} and ${free}
				order by reconcile_due_at limit ${o.limit} for update skip locked)
			returning key, name, source, device_id, ci_id, hashes, reconcile_sections, reconcile_version, pending_change,
				reconcile_attempts, reconcile_due_at`
	);
	// In the order they were queued (RETURNING keeps none).
	const due = (r: ClaimRow) => (r.reconcile_due_at ? new Date(r.reconcile_due_at).getTime() : 0);
	rows.sort((x, y) => due(x) - due(y));
	return rows.map((r) => ({
		key: r.key,
		name: r.name,
		source: r.source === 'ocs' ? 'ocs' : 'agent',
		deviceId: r.device_id === null ? null : Number(r.device_id),
		ciId: r.ci_id === null ? null : Number(r.ci_id),
		held: Object.keys(r.hashes ?? {}) as InventorySection[],
		sections: r.reconcile_sections ?? [],
		version: Number(r.reconcile_version),
		change: r.pending_change,
		attempts: Number(r.reconcile_attempts)
	}));
}

export interface HostOutcome {
	key: string;
	version: number;
	/** null: reconciled; otherwise why not (the host stays pending and is retried later). */
	error: string | null;
	/** The Device CI, when it was looked up (a first reconciliation). */
	ciId: number | null;
	/** What to record as the host's last change, if this pass tells one. */
	lastChange: InventoryChange | null;
	/** Agent event for the change: the agent's id and the report's sequence number. */
	event: { agentId: string; seq: number; at: string; message: string } | null;
}

/**
 * Ends a claim. Returns the hosts whose queued work this pass completed (no report came in since the claim):
 * only for those is the change told. Hosts that another node took over meanwhile are left alone.
 */
export async function finishHosts(db: Db, token: string, outcomes: HostOutcome[]): Promise<Set<string>> {
	if (!outcomes.length) return new Set();
	const input = JSON.stringify(
		outcomes.map((o) => ({
			key: o.key,
			version: o.version,
			ok: o.error === null,
			error: o.error?.slice(0, 2000) ?? null,
			ci_id: o.ciId,
			last_change: o.lastChange
		}))
	);
	return db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		const done = sql`(x.ok and i.reconcile_version = x.version)`;
		const rows = await queryRows<{ key: string; completed: boolean }>(
			t,
			sql`update inventories i set
				ci_id = coalesce(x.ci_id, i.ci_id),
				reconcile_claim = null, reconcile_claimed_by = null, reconcile_claimed_at = null,
				reconcile_attempts = case when x.ok then 0 else i.reconcile_attempts + 1 end,
				reconcile_error = case when x.ok then null else x.error end,
				reconcile_sections = case when ${done} then null else i.reconcile_sections end,
				reconcile_queued_at = case when ${done} then null else i.reconcile_queued_at end,
				pending_change = case when ${done} then null else i.pending_change end,
				last_change = case when ${done} and x.last_change is not null then x.last_change else i.last_change end,
				reconcile_due_at = case
					when ${done} then null
					when x.ok or i.reconcile_version <> x.version then i.reconcile_due_at
					else now() + make_interval(secs => least(${RETRY_MAX_SECONDS},
						${RETRY_BASE_SECONDS} * power(2, least(i.reconcile_attempts, 20)))::int)
				end
			from jsonb_to_recordset(${input}::jsonb)
				as x(key text, version int, ok boolean, error text, ci_id int, last_change jsonb)
			where i.key = x.key and i.reconcile_claim = ${token}
			returning i.key, ${done} as completed`
		);
		const completed = new Set(rows.filter((r) => r.completed).map((r) => r.key));
		const events = outcomes
			.filter((o) => o.event && completed.has(o.key) && UUID.test(o.event.agentId))
			.map((o) => o.event);
		if (events.length)
			// Only for agents that still exist; a second finish of the same report (after a takeover) adds nothing.
			await t.execute(sql`insert into agent_events (agent_id, seq, at, level, message)
				select a.id, e.seq, e.at, 'info', e.message
				from jsonb_to_recordset(${JSON.stringify(events)}::jsonb)
					as e("agentId" uuid, seq bigint, at timestamptz, message text)
				join agents a on a.id = e."agentId"
				on conflict do nothing`);
		return completed;
	});
}

/** Claims this node held when it stopped: nobody works on them any more (on PGlite there is only this node). */
export async function releaseClaims(db: Db, node: string | null): Promise<number> {
	const rows = await queryRows<{ key: string }>(
		db,
		node === null
			? sql`update inventories set reconcile_claim = null, reconcile_claimed_by = null, reconcile_claimed_at = null
				where reconcile_claim is not null returning key`
			: sql`update inventories set reconcile_claim = null, reconcile_claimed_by = null, reconcile_claimed_at = null
				where reconcile_claimed_by = ${node} returning key`
	);
	return rows.length;
}

/** How many hosts wait for reconciliation, and the oldest wait. */
export async function pendingHosts(db: Db): Promise<{ count: number; due: number; oldest: Date | null }> {
	const [r] = await queryRows<{ count: number; due: number; oldest: string | Date | null }>(
		db,
		sql`select count(*)::int as count, (count(*) filter (where reconcile_due_at <= now()))::int as due,
			min(reconcile_queued_at) as oldest from inventories where reconcile_due_at is not null`
	);
	return {
		count: Number(r?.count ?? 0),
		due: Number(r?.due ?? 0),
		oldest: r?.oldest ? new Date(r.oldest) : null
	};
}

/** A pass that failed as a whole (the database went away): its hosts wait, with backoff, and are retried. */
export async function failClaim(db: Db, token: string, message: string): Promise<void> {
	await db.execute(sql`update inventories set
		reconcile_claim = null, reconcile_claimed_by = null, reconcile_claimed_at = null,
		reconcile_attempts = reconcile_attempts + 1, reconcile_error = ${message.slice(0, 2000)},
		reconcile_due_at = now() + make_interval(secs => least(${RETRY_MAX_SECONDS},
			${RETRY_BASE_SECONDS} * power(2, least(reconcile_attempts, 20)))::int)
		where reconcile_claim = ${token}`);
}

/**
 * Queues hosts to be reconciled again in full (every section they hold), e.g. after CIs were edited away by
 * hand or the model changed: an unchanged report never does. All hosts when `keys` is not given.
 */
export async function requeueHosts(db: Db, keys?: string[]): Promise<number> {
	const rows = await queryRows<{ key: string }>(
		db,
		sql`update inventories set
			reconcile_sections = (select coalesce(jsonb_agg(k), '[]'::jsonb) from jsonb_object_keys(hashes) k),
			reconcile_version = reconcile_version + 1,
			reconcile_due_at = now(), reconcile_queued_at = coalesce(reconcile_queued_at, now())
			where hashes <> '{}'::jsonb
			${keys ? sql`and key in (select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))` : sql``}
			returning key`
	);
	return rows.length;
}
