// Reconciliation: a batch of discovered records (agent inventory, CSV, API) made into CIs.
//
// Records match CIs by a key attribute (agent id or asset tag; never host name, MAC or IP, which change and
// repeat). Child records (memory, disks, NICs, software) match by an identify set: among the CIs already
// related to their parent when the child belongs to one parent (memory in a slot), across the whole child
// class when it is shared (N:N, e.g. one software product installed on many computers). Everything that exists
// is read first in a few queries per chunk, compared in memory, and only real differences are written, so an
// unchanged batch writes nothing at all: no row, no history entry.
//
// Transactions: records are processed in chunks (at most 100 records / 20,000 child records), one transaction
// each, holding the CMDB write lock (lockModel) from the first read to the commit so that concurrent
// reconciliations never create the same shared CI twice. A chunk rather than the whole batch so that a
// 1,000-computer batch does not block operators' edits for its whole duration. Each record is atomic; a
// batch is not, but re-running it converges to the same state. A record with a bad value is reported in
// `errors` (key, field) and skipped; the others go on. If a chunk fails unexpectedly in the database, it is
// rolled back and its records are re-run one transaction each, so only the failing record is lost.
//
// Writes: updates of existing CIs go through updateCi (manual-edit protection, history, 'found'), deletions
// through deleteCi. New CIs and 'missing' flags are written in bulk with the rows and history entries cis.ts
// writes (write.ts); relations, their removals and changed values in bulk with one history entry per CI and
// kind listing them (write-relations.ts), since a first inventory of 1,000 computers is ~300,000 relations.
//
// Parts: spec.ts resolves the spec against the model, read.ts loads what exists, plan.ts compares,
// chunk.ts runs one chunk, write.ts writes in bulk, missing.ts handles CIs the batch did not contain.
import type { Db } from '../../db/client';
import { checkValue } from '../../../lib/cmdb/values';
import type { ChangeContext } from '../cis';
import { loadModel } from '../model';
import { applyChunk, emptyResult, merge } from './chunk';
import { missingParents } from './missing';
import { resolve } from './spec';
import type { DiscoveredRecord, Prep, ReconcileOptions, ReconcileResult, ReconcileSpec } from './types';
import { isObject } from './values';
import { fieldErrors, singleConnection } from './write';

export type {
	ChildCounts,
	ChildSpec,
	DiscoveredChild,
	DiscoveredRecord,
	MissingPolicy,
	ReconcileError,
	ReconcileOptions,
	ReconcileResult,
	ReconcileSpec
} from './types';

/**
 * Reconciles a batch of discovered records into CIs of `spec.class` and their children. Returns what it did;
 * records it could not apply are listed in `errors` and the rest are applied. A wrong spec (unknown class,
 * domain or key attribute) throws a UserError before anything is written.
 *
 * One agent's inventory report (scope: the batch, so no other computer is ever missing):
 *   reconcile(db, { actor, source: 'inventory' }, { class: 'Device', key: 'agentId', missing: 'flag',
 *     children: [{ domain: 'ItemMemory', class: 'Memory', identify: ['slot'], missing: 'flag' },
 *       { domain: 'SoftwareInstallations', class: 'SoftwareProduct', identify: ['name', 'productVersion'],
 *         missing: 'delete' }] },
 *     [{ key: agentId, name: hostname, data: { os, ramMb }, children: { ItemMemory: [...], SoftwareInstallations: [...] } }])
 */
export async function reconcile(
	db: Db,
	ctx: ChangeContext,
	spec: ReconcileSpec,
	records: DiscoveredRecord[],
	opts: ReconcileOptions = {}
): Promise<ReconcileResult> {
	const m = opts.model ?? (await loadModel(db));
	const R = resolve(m, ctx, spec);
	R.singleConnection = await singleConnection(db);
	const result = emptyResult();
	const maxRecords = opts.chunkRecords ?? 100;
	const maxChildren = opts.chunkChildren ?? 20_000;

	// Keys first: a record without a usable key, or with one given twice, is refused before anything else.
	const seen = new Set<string>();
	const chunks: Prep[][] = [];
	let chunk: Prep[] = [];
	let childCount = 0;
	for (const rec of records) {
		const raw = (rec as { key?: unknown })?.key;
		const key = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
		const checked = checkValue(R.key, key);
		if (!checked.ok || checked.value === null) {
			result.errors.push({
				key,
				field: R.key.name,
				message: checked.ok ? 'every record needs a key' : checked.error
			});
			continue;
		}
		const keyStr = String(checked.value);
		if (seen.has(keyStr.toLowerCase())) {
			result.errors.push({ key, field: R.key.name, message: 'appears more than once in this batch' });
			continue;
		}
		seen.add(keyStr.toLowerCase());
		const n = isObject(rec.children)
			? Object.values(rec.children).reduce((s, l) => s + (Array.isArray(l) ? l.length : 0), 0)
			: 0;
		if (chunk.length && (chunk.length >= maxRecords || childCount + n > maxChildren)) {
			chunks.push(chunk);
			chunk = [];
			childCount = 0;
		}
		chunk.push({ rec, keyValue: checked.value, keyStr });
		childCount += n;
	}
	if (chunk.length) chunks.push(chunk);

	const run = async (preps: Prep[]): Promise<void> => {
		try {
			merge(result, await db.transaction((t) => applyChunk(t as unknown as Db, R, preps)));
		} catch (e) {
			if (preps.length === 1) {
				result.errors.push(...fieldErrors(preps[0].rec.key, e));
				return;
			}
			// Something unforeseen in the database: retry record by record so only the culprit is lost.
			for (const p of preps) await run([p]);
		}
	};
	for (const c of chunks) await run(c);
	await missingParents(db, R, spec, seen, result);
	return result;
}
