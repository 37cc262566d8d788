// Class attributes marked "indexed" get a btree on cmdb_cis (class_id, <value expression>, id), so a class list
// that filters (=, <, >) or sorts on the attribute reads the matching CIs in order instead of every CI of the
// class. The expression is the very one listPlan compares and sorts by; an index on anything else would never
// be used. One index per distinct expression: classes sharing an attribute name and kind share it.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';

const NUMERIC = new Set(['integer', 'decimal', 'reference']);

/** Text values compare and sort by their first this many lower-cased characters: a btree entry must stay small. */
export const TEXT_KEY_CHARS = 600;

/** Long text may hold 100,000 characters: no use indexing its first 600. */
export const indexable = (type: string) => type !== 'longtext';

/**
 * SQL for an attribute's value as lists compare and sort it: a number for numeric types (null when the stored
 * value isn't one), otherwise the lower-cased text, cut to TEXT_KEY_CHARS when indexed (on PGlite the cut
 * costs a few milliseconds per 10,000 CIs, so only indexes pay it). `data` names the CI's data column.
 */
export function valueKeySql(name: string, type: string, indexed: boolean, data = 'data'): string {
	// Attribute names are identifiers (protocol/cmdb.ts), so they can be written into the SQL as literals:
	// the index and the query must show the planner the same expression, parameters or not.
	if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`Not an attribute name: ${name}`);
	if (NUMERIC.has(type))
		return `(case when jsonb_typeof(${data} -> '${name}') = 'number' then (${data} ->> '${name}')::numeric end)`;
	return indexed ? `left(lower(${data} ->> '${name}'), ${TEXT_KEY_CHARS})` : `lower(${data} ->> '${name}')`;
}

const PREFIX = 'cmdb_cis_attr_';
const indexName = (expr: string) => PREFIX + createHash('sha256').update(expr).digest('hex').slice(0, 16);

/**
 * Makes the attribute indexes match the model: creates the missing ones and drops those no indexed attribute
 * needs any more. Runs inside every model edit (under the model lock), so an attribute that is marked,
 * unmarked, renamed, retyped or removed, or whose class is deleted, always leaves the right set behind.
 * Building an index takes about a second per 100,000 CIs, during which CI writes wait.
 */
export async function syncAttributeIndexes(t: Db): Promise<void> {
	// One round trip: this runs in every model edit, and seeding the default model makes a hundred of them.
	const [{ attrs, have }] = await queryRows<{ attrs: { name: string; type: string }[]; have: string[] }>(
		t,
		sql`select
			(select coalesce(json_agg(json_build_object('name', name, 'type', type)), '[]') from cmdb_attributes
				where indexed and removed_at is null and class_id is not null) as attrs,
			(select coalesce(json_agg(c.relname), '[]') from pg_index i join pg_class c on c.oid = i.indexrelid
				where i.indrelid = 'cmdb_cis'::regclass and left(c.relname, ${PREFIX.length}) = ${PREFIX}) as have`
	);
	const want = new Map<string, { expr: string; what: string }>();
	for (const a of attrs) {
		if (!indexable(a.type)) continue;
		const expr = valueKeySql(a.name, a.type, true);
		const kind = NUMERIC.has(a.type) ? 'number' : 'text';
		want.set(indexName(expr), { expr, what: `CMDB attribute ${a.name} (${kind})` });
	}
	for (const name of have) if (!want.has(name)) await t.execute(sql.raw(`drop index "${name}"`));
	let created = 0;
	for (const [name, { expr, what }] of want) {
		if (have.includes(name)) continue;
		await t.execute(sql.raw(`create index "${name}" on cmdb_cis (class_id, ${expr}, id)`));
		await t.execute(sql.raw(`comment on index "${name}" is '${what}'`));
		created++;
	}
	// The planner knows how values of an indexed expression spread only after ANALYZE; until then it guesses,
	// and a guess can walk the wrong index.
	if (created) await t.execute(sql`analyze cmdb_cis`);
}
