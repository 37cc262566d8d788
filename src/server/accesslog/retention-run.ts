// The retention job: works out each console's period (its device's groups, else the system's), purges what is
// older, notes the run in the settings row and audits it. It runs on one node at a time: a node takes the run
// by moving `run_started_at`, which no other node can do again until the interval has passed.
import type { Db } from '../db/client';
import { audit, type Actor } from '../audit/audit';
import { accessLogKey } from './key';
import { rawQuery } from './raw';
import { purgeConsole, type ConsolePurge } from './retention';
import { retentionRow } from './retention-settings';
import { Signal } from './forward/signal';

export interface RetentionRun {
	at: Date;
	records: number;
	heldBack: number;
	consoles: ConsolePurge[];
	errors: string[];
}

/** Consoles to audit by name in one run's entry (the totals cover all). */
const AUDIT_CONSOLES = 200;

/** Each console with records, and its retention in days (null: kept). */
async function periods(
	db: Db
): Promise<{ consoleId: number; consoleName: string | null; days: number | null }[]> {
	const rows = await rawQuery<{ console_id: number; name: string | null; days: number | null }>(
		db,
		`with t as (
			select h.console_id, k.name, coalesce(k.device_id, h.device_id) as device_id from access_log_heads h
			left join consoles k on k.id = h.console_id where h.last_seq >= h.first_seq)
		select t.console_id, t.name, coalesce(
			(select max(r.days) from access_log_retention_groups r join device_groups g on g.id = r.group_id
				where g.all_devices or exists (select 1 from device_group_members m
					where m.group_id = g.id and m.device_id = t.device_id)),
			(select days from access_log_retention where id = 1)) as days
		from t order by t.console_id`
	);
	return rows.map((r) => ({ consoleId: r.console_id, consoleName: r.name, days: r.days }));
}

/** Purges every console's records past its retention now, as `actor`; audited when anything happened. */
export async function runRetention(
	db: Db,
	actor: Actor,
	opts: { now?: Date; stopped?: () => boolean } = {}
): Promise<RetentionRun> {
	const at = opts.now ?? new Date();
	const key = accessLogKey();
	const run: RetentionRun = { at, records: 0, heldBack: 0, consoles: [], errors: [] };
	await retentionRow(db);
	for (const p of await periods(db)) {
		if (opts.stopped?.()) break;
		if (p.days === null) continue;
		const r = await purgeConsole(db, key, { ...p, days: p.days }, { at, by: actor.name });
		run.records += r.records;
		run.heldBack += r.heldBack;
		if (r.error) run.errors.push(`${r.consoleName ?? `console ${r.consoleId}`}: ${r.error}`);
		if (r.records || r.heldBack || r.error) run.consoles.push(r);
	}
	const purged = run.consoles.filter((c) => c.records);
	await rawQuery(
		db,
		`update access_log_retention set last_run_at = $1, last_run_records = $2, last_run_consoles = $3,
			last_run_held_back = $4, last_run_error = $5 where id = 1`,
		[
			at,
			run.records,
			purged.length,
			run.heldBack,
			run.errors.length ? run.errors.join('\n').slice(0, 2000) : null
		]
	);
	if (purged.length || run.errors.length)
		await audit(db, actor, {
			action: 'accessLog.retention.purge',
			targetType: 'accessLog',
			targetName: `${run.records} records of ${purged.length} consoles`,
			after: {
				records: run.records,
				heldBack: run.heldBack,
				errors: run.errors.slice(0, 20),
				consoles: run.consoles.slice(0, AUDIT_CONSOLES).map((c) => ({
					consoleId: c.consoleId,
					console: c.consoleName,
					days: c.days,
					throughSeq: c.throughSeq,
					records: c.records,
					heldBack: c.heldBack,
					heldBy: c.heldBy
				}))
			}
		});
	return run;
}

/** Takes this interval's run for `nodeId`, unless another node started one within it. */
async function claim(db: Db, nodeId: string, intervalMs: number): Promise<boolean> {
	await retentionRow(db);
	const rows = await rawQuery(
		db,
		`update access_log_retention set run_node = $1, run_started_at = now()
		where id = 1 and (run_started_at is null or run_started_at < now() - make_interval(secs => $2))
		returning id`,
		[nodeId, (intervalMs * 0.9) / 1000]
	);
	return rows.length > 0;
}

export interface RetentionJobOptions {
	nodeId: string;
	/** How often retention runs (once per interval across all nodes). */
	intervalMs?: number;
	/** The first look, after start-up. */
	firstMs?: number;
}

/** Runs retention every interval on whichever node claims it first; stop() waits for a run in progress. */
export function startAccessLogRetention(db: Db, options: RetentionJobOptions): { stop(): Promise<void> } {
	const intervalMs = options.intervalMs ?? 3_600_000;
	const signal = new Signal();
	const actor: Actor = { id: null, name: 'retention' };
	const loop = (async () => {
		await signal.sleep(options.firstMs ?? 60_000 * (0.5 + Math.random() / 2));
		while (!signal.stopped) {
			try {
				if (await claim(db, options.nodeId, intervalMs))
					await runRetention(db, actor, { stopped: () => signal.stopped });
			} catch (e) {
				if (!signal.stopped) console.error(`Access-log retention: ${(e as Error).message}`);
			}
			// Looks again well within the interval, so a node that stopped mid-way is replaced soon.
			await signal.sleep(Math.min(intervalMs, 10 * 60_000));
		}
	})();
	return {
		async stop() {
			signal.stop();
			await loop;
		}
	};
}
