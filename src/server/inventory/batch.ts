// The second half of taking inventories: claimed hosts reconciled into the CMDB together, up to ~100 records
// per reconcile() call (one spec per set of child domains, so a delta still touches only what it carried),
// then each host finished: cleared, its Device CI and last change recorded, the agent event written, and —
// after that commit, never before — the "configuration changed" notifications raised. A host whose record
// reconcile() refused stays pending and is retried later; the others of the batch go on.
import { inArray, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { inventories, type InventoryChange } from '../db/schema';
import type { Actor } from '../audit/audit';
import { UserError } from '../errors';
import { loadModel } from '../cmdb/model';
import {
	reconcile,
	type DiscoveredRecord,
	type ReconcileResult,
	type ReconcileSpec
} from '../cmdb/reconcile';
import { emptyResult, merge } from '../cmdb/reconcile/chunk';
import type { InventorySection, InventorySections } from '../../lib/protocol/inventory';
import { DEVICE_CLASS, DEVICE_KEY, mapInventory } from './map';
import { changeAudience, emitInventoryUpdate, notifyConfigurationChanged } from './notify';
import { finishHosts, type ClaimedHost, type HostOutcome } from './queue';

export interface BatchOptions {
	/** Who the CMDB history names; default "inventory". */
	actor?: Actor;
	/** Child records per reconcile() transaction (reconcile's chunkChildren). */
	chunkChildren?: number;
}

export interface BatchResult {
	/** What reconciliation did, summed over the batch. */
	result: ReconcileResult;
	/** reconcile() calls made (one per set of child domains in the batch). */
	calls: number;
	/** Hosts reconciled (finished, or left due because a newer report came in meanwhile). */
	reconciled: number;
	/** Hosts that failed and stay pending. */
	failed: { key: string; name: string; message: string }[];
	/** Hosts whose queued work is complete, with their Device CI. */
	completed: Map<string, { ciId: number | null; change: InventoryChange | null }>;
	notified: number;
}

/** The pending sections of each claimed host, read after the claim (so the newest copy is reconciled). */
async function readPending(db: Db, hosts: ClaimedHost[]): Promise<Map<string, InventorySections>> {
	const want = [...new Set(hosts.flatMap((h) => h.sections.filter((s) => h.held.includes(s))))];
	const out = new Map<string, InventorySections>();
	if (!want.length) return out;
	const rows = (await db
		.select({ key: inventories.key, ...Object.fromEntries(want.map((s) => [s, inventories[s]])) })
		.from(inventories)
		.where(
			inArray(
				inventories.key,
				hosts.map((h) => h.key)
			)
		)) as ({ key: string } & InventorySections)[];
	for (const r of rows) out.set(r.key, r);
	return out;
}

/** Device CIs by agentId (the GIN index on data answers the exact values). */
async function findDeviceCis(db: Db, keys: string[]): Promise<Map<string, number>> {
	const out = new Map<string, number>();
	if (!keys.length) return out;
	const exact = keys.map((k) => sql`c.data @> ${JSON.stringify({ [DEVICE_KEY]: k })}::jsonb`);
	const rows = await queryRows<{ id: number; k: string }>(
		db,
		sql`select c.id, c.data->>${DEVICE_KEY} as k from cmdb_cis c join cmdb_classes k on k.id = c.class_id
			where k.name = ${DEVICE_CLASS} and (${sql.join(exact, sql` or `)}) order by c.id`
	);
	for (const r of rows) if (!out.has(r.k)) out.set(r.k, Number(r.id));
	return out;
}

/** History entries on each CI written after `mark`: how much of a batch's writes concern one host. */
async function historySince(db: Db, mark: number, ciIds: number[]): Promise<Map<number, number>> {
	if (!ciIds.length) return new Map();
	const rows = await queryRows<{ ci_id: number; n: number }>(
		db,
		sql`select ci_id, count(*)::int as n from cmdb_history
			where id > ${mark} and ci_id in (select jsonb_array_elements_text(${JSON.stringify(ciIds)}::jsonb)::int)
			group by ci_id`
	);
	return new Map(rows.map((r) => [Number(r.ci_id), Number(r.n)]));
}

function describe(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

/** Reconciles claimed hosts (claimed with `token`), finishes them and tells their changes. */
export async function reconcileClaimed(
	db: Db,
	hosts: ClaimedHost[],
	token: string,
	opts: BatchOptions = {}
): Promise<BatchResult> {
	const result = emptyResult();
	const errors = new Map<string, string>();
	const pending = await readPending(db, hosts);
	const model = await loadModel(db);

	// One reconcile() per set of child domains: a record's spec must list exactly the domains it carries.
	const groups = new Map<string, { spec: ReconcileSpec; records: DiscoveredRecord[] }>();
	for (const h of hosts) {
		const inv = pending.get(h.key) ?? {};
		const want = new Set<InventorySection>(h.sections.filter((s) => h.held.includes(s)));
		const mapped = want.size ? mapInventory(model, h, inv, want) : null;
		if (!mapped) continue; // nothing to reconcile into (no Device class with agentId): done as it is
		const sig = mapped.spec.children?.map((c) => c.domain).join(',') ?? '';
		const g = groups.get(sig) ?? { spec: mapped.spec, records: [] };
		g.records.push(mapped.record);
		groups.set(sig, g);
	}

	const [mark] = await queryRows<{ id: number }>(
		db,
		sql`select coalesce(max(id), 0) as id from cmdb_history`
	);
	const ctx = { actor: opts.actor ?? { id: null, name: 'inventory' }, source: 'inventory' as const };
	let calls = 0;
	for (const g of groups.values()) {
		calls++;
		try {
			const r = await reconcile(db, ctx, g.spec, g.records, {
				model,
				...(opts.chunkChildren ? { chunkChildren: opts.chunkChildren } : {})
			});
			merge(result, r);
			for (const e of r.errors) {
				const msg = `${e.field ? e.field + ': ' : ''}${e.message}`;
				errors.set(e.key, errors.has(e.key) ? `${errors.get(e.key)}; ${msg}` : msg);
			}
		} catch (e) {
			// A spec the model no longer fits (UserError), or the database failing: the whole group waits.
			if (!(e instanceof UserError)) console.error('inventory: reconciliation failed:', e);
			for (const rec of g.records) errors.set(rec.key, describe(e));
		}
	}

	const lookUp = hosts.filter((h) => h.ciId === null && !errors.has(h.key)).map((h) => h.key);
	const found = await findDeviceCis(db, lookUp);
	const ciOf = (h: ClaimedHost) => h.ciId ?? found.get(h.key) ?? null;
	const told = hosts.filter((h) => h.change && !errors.has(h.key) && ciOf(h) !== null);
	const rows = await historySince(db, Number(mark?.id ?? 0), told.map(ciOf) as number[]);

	const outcomes: HostOutcome[] = hosts.map((h) => {
		const error = errors.get(h.key) ?? null;
		const c = h.change;
		const lastChange: InventoryChange | null =
			c && error === null
				? {
						at: c.at,
						sections: c.sections,
						summary: c.summary,
						cmdbRows: rows.get(ciOf(h) ?? -1) ?? 0
					}
				: null;
		return {
			key: h.key,
			version: h.version,
			error,
			ciId: found.get(h.key) ?? null,
			lastChange,
			event:
				lastChange && h.source === 'agent' && c?.seq != null
					? {
							agentId: h.key,
							seq: c.seq,
							at: c.at,
							message: `Configuration changed: ${c.summary}`.slice(0, 2000)
						}
					: null
		};
	});
	const completedKeys = await finishHosts(db, token, outcomes);

	const failed = hosts
		.filter((h) => errors.has(h.key))
		.map((h) => ({ key: h.key, name: h.name, message: errors.get(h.key)! }));
	for (const f of failed.slice(0, 20)) {
		const h = hosts.find((x) => x.key === f.key)!;
		console.warn(
			`inventory: ${f.name} (${f.key}) could not be reconciled (attempt ${h.attempts + 1}; retried later): ${f.message.slice(0, 500)}`
		);
	}
	if (failed.length > 20) console.warn(`inventory: ${failed.length - 20} more hosts could not be reconciled`);

	const completed = new Map<string, { ciId: number | null; change: InventoryChange | null }>();
	const byKey = new Map(outcomes.map((o) => [o.key, o]));
	for (const h of hosts)
		if (completedKeys.has(h.key))
			completed.set(h.key, { ciId: ciOf(h), change: byKey.get(h.key)!.lastChange });

	// After the commit: the Fleet app shows the new inventory time, and an operator told of a change finds it
	// in the CMDB.
	for (const h of hosts)
		if (completed.has(h.key))
			emitInventoryUpdate({ key: h.key, deviceId: h.deviceId, changed: !!completed.get(h.key)!.change });
	let notified = 0;
	const tell = hosts.filter((h) => completed.get(h.key)?.change);
	if (tell.length) {
		try {
			const audience = await changeAudience(db);
			for (const h of tell) {
				await notifyConfigurationChanged(db, h, completed.get(h.key)!.change!.summary, audience);
				notified++;
			}
		} catch (e) {
			console.error('inventory: raising "configuration changed" notifications failed:', describe(e));
		}
	}
	return { result, calls, reconciled: hosts.length - failed.length, failed, completed, notified };
}
