// CSV import into the CMDB: suggest a column mapping, dry-run, commit. Both run the same planner, which
// decides every row by createCi/updateCi's rules (validateData's checks and messages, change messages,
// "an update that changes nothing is unchanged") and treats the rows as if written one after another,
// so a row sees the unique values earlier rows took or gave up. A commit then writes the plan in one
// transaction (all rows or none) and a dry run doesn't, so the two can't disagree.
//
// Why not createCi per row: each costs half a dozen statements (savepoint, model lock, a unique check
// that scans the class, insert, history) — a minute or more for 10,000 rows. Here the database checks
// are a handful of set queries for the whole file and the writes are batched, so 10,000 rows take seconds.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { cmdbImportMappings } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { loadModel, lockModel, type AttrDef, type ClassDef, type Model } from './model';
import { CSV_MAX_BYTES, parseCsv } from './csv';
import {
	BUILT_IN,
	DEFAULT_MESSAGE,
	makePlan,
	planRows,
	scopeAttributes,
	type ImportRow,
	type RowAction
} from './import-plan';
import { writeRows } from './import-write';

export type { FieldError, ImportRow, RowAction } from './import-plan';

const csvText = z
	.string()
	.max(CSV_MAX_BYTES, `The file is larger than ${CSV_MAX_BYTES / 2 ** 20} MB; split it into smaller files.`);

export const parseInput = z.object({ class: z.string().min(1, 'Choose a class'), csv: csvText });

export const importInput = z.object({
	class: z.string().min(1, 'Choose a class'),
	csv: csvText,
	/** Column → attribute name, `name`, `id`, `class`, or '' to ignore the column. */
	mapping: z.record(z.string(), z.string().max(63)),
	keyAttribute: z.string().min(1, 'Choose the key attribute that identifies existing CIs').max(63),
	message: z.string().max(2000).optional()
});
export type ImportInput = z.input<typeof importInput>;

export interface DryRunResult {
	rows: ImportRow[];
	counts: Record<RowAction, number>;
}
export interface CommitResult {
	inserted: number;
	updated: number;
	unchanged: number;
}

/** A commit refused because rows failed; nothing was written. */
export class ImportRowsError extends UserError {
	constructor(readonly rows: ImportRow[]) {
		const bad = rows.filter((r) => r.action === 'error');
		const shown = bad
			.slice(0, 10)
			.map((r) => `line ${r.line}: ${(r.errors ?? []).map((e) => `${e.field}: ${e.message}`).join(', ')}`);
		if (bad.length > 10) shown.push(`and ${bad.length - 10} more`);
		super(
			`Nothing was imported: ${bad.length} row${bad.length === 1 ? ' has' : 's have'} errors (${shown.join('; ')}). Fix them and import again; a dry run lists them all.`
		);
	}
}

// ---------------------------------------------------------------- mapping

/** The mapping target a header suggests: name, id, class, or an attribute by name or label (any case). */
function suggestFor(header: string, attrs: Map<string, AttrDef>): string {
	const h = header.trim().toLowerCase();
	if ((BUILT_IN as readonly string[]).includes(h)) return h;
	const byName = attrs.get(h);
	if (byName) return byName.name;
	for (const a of attrs.values()) if (a.label.toLowerCase() === h) return a.name;
	return '';
}

export async function rememberedMapping(
	db: Db,
	m: Model,
	className: string
): Promise<{ mapping: Record<string, string>; keyAttribute: string } | null> {
	const c = m.cls(className);
	const [row] = await db.select().from(cmdbImportMappings).where(eq(cmdbImportMappings.classId, c.id));
	return row ? { mapping: row.mapping, keyAttribute: row.keyAttribute } : null;
}

/**
 * The mapping to offer for a file's columns: the one remembered for the class when it was made for the
 * same columns (targets that no longer exist dropped), otherwise by header name.
 */
export function suggestMapping(
	m: Model,
	c: ClassDef,
	columns: string[],
	remembered: Record<string, string> | null
): Record<string, string> {
	const attrs = scopeAttributes(m, c);
	const valid = (t: string) =>
		t === '' || (BUILT_IN as readonly string[]).includes(t) || attrs.has(t.toLowerCase());
	const same =
		remembered &&
		Object.keys(remembered).length === columns.length &&
		columns.every((col) => col in remembered);
	return Object.fromEntries(
		columns.map((col) => [
			col,
			same && valid(remembered[col]) ? remembered[col] : same ? '' : suggestFor(col, attrs)
		])
	);
}

export async function parseForImport(db: Db, input: z.input<typeof parseInput>) {
	const v = parseInput.parse(input);
	const m = await loadModel(db);
	const c = m.cls(v.class);
	const csv = parseCsv(v.csv);
	const remembered = await rememberedMapping(db, m, c.name);
	return {
		columns: csv.header,
		delimiter: csv.delimiter,
		rowCount: csv.rows.length,
		sample: csv.rows.slice(0, 5).map((r) => r.fields),
		suggested: suggestMapping(m, c, csv.header, remembered?.mapping ?? null)
	};
}

function countRows(rows: ImportRow[]): Record<RowAction, number> {
	const counts: Record<RowAction, number> = { insert: 0, update: 0, unchanged: 0, error: 0 };
	for (const r of rows) counts[r.action]++;
	return counts;
}

/** What an import would do, row by row. Reads only. */
export async function dryRunImport(db: Db, input: ImportInput): Promise<DryRunResult> {
	const v = importInput.parse(input);
	const p = makePlan(await loadModel(db), v);
	const { rows } = await planRows(db, p, false);
	return { rows, counts: countRows(rows) };
}

/**
 * Imports all rows or none, in one transaction that holds the model lock (as every CI change does) and
 * the matched CIs' row locks, so the plan can't go stale before it is written. Remembers the mapping for
 * the class and writes one audit entry.
 */
export async function commitImport(db: Db, actor: Actor, input: ImportInput): Promise<CommitResult> {
	const v = importInput.parse(input);
	const m = await loadModel(db);
	return db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		await lockModel(t);
		const p = makePlan(m, v);
		const { rows, writes } = await planRows(t, p, true);
		const counts = countRows(rows);
		if (counts.error) throw new ImportRowsError(rows);
		await writeRows(t, writes, actor);
		await t
			.insert(cmdbImportMappings)
			.values({ classId: p.c.id, mapping: v.mapping, keyAttribute: p.key })
			.onConflictDoUpdate({
				target: cmdbImportMappings.classId,
				set: { mapping: v.mapping, keyAttribute: p.key, updatedAt: new Date() }
			});
		const result = { inserted: counts.insert, updated: counts.update, unchanged: counts.unchanged };
		await audit(t, actor, {
			action: 'cmdb.import',
			targetType: 'cmdb-class',
			targetId: p.c.id,
			targetName: p.c.name,
			after: { ...result, rows: rows.length, keyAttribute: p.key, message: p.message ?? DEFAULT_MESSAGE }
		});
		return result;
	});
}
