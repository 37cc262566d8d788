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
// through deleteCi. New CIs, relations, relation removals and 'missing' flags are written in bulk here, with
// the same rows and history entries cis.ts writes (a first inventory of 1,000 computers is ~300,000 relations).
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import { UserError } from '../errors';
import { checkValue, isEmptyValue } from '../../lib/cmdb/values';
import {
	deleteCi,
	relate,
	searchText,
	updateCi,
	validateData,
	ValidationError,
	type ChangeContext,
	type CiRow
} from './cis';
import { loadModel, lockModel, type AttrDef, type ClassDef, type DomainDef, type Model } from './model';

type Data = Record<string, unknown>;
export type MissingPolicy = 'flag' | 'delete';

export interface ChildSpec {
	/** The domain (relation type) linking parent and child, e.g. 'ItemMemory'. Either side may be the parent. */
	domain: string;
	/** The class of the child CIs created, e.g. 'Memory'. */
	class: string;
	/** What makes two child records the same item: attribute names, and/or 'name'. */
	identify: string[];
	/** A child no longer reported: flagged missing (and unrelated) or deleted. Shared children are only unrelated. */
	missing: MissingPolicy;
}

export interface ReconcileSpec {
	class: string;
	/** The attribute records are matched by. Must be unique; never a host name, MAC or IP address. */
	key: string;
	/** What happens to CIs of `scope` that the batch does not contain. */
	missing: MissingPolicy | 'ignore';
	/**
	 * Which existing CIs the batch is expected to contain, for missing detection:
	 * - 'batch' (default): only the records themselves, so nothing is ever missing. One agent's report
	 *   must not flag every other computer.
	 * - 'class': every CI of the class (and subclasses) that has a key value — a full sweep. CIs without a
	 *   key value were entered by hand and are never considered.
	 * - { keys }: the CIs with these key values (e.g. the agents of one site).
	 */
	scope?: 'batch' | 'class' | { keys: string[] };
	children?: ChildSpec[];
	/** Leave values an operator set by hand alone (per attribute manualPolicy). Default: when source is 'inventory'. */
	respectManual?: boolean;
}

export interface DiscoveredChild {
	name: string;
	data?: Data;
	/** Values of the relation's own attributes (e.g. installDate); given keys change, others stay. */
	relationData?: Data;
}

export interface DiscoveredRecord {
	key: string;
	name: string;
	/** Attribute values; only the attributes given change (null or '' clears one). */
	data?: Data;
	/**
	 * Child records by domain name. A domain left out is not touched; an empty list means the parent has
	 * none any more.
	 */
	children?: Record<string, DiscoveredChild[]>;
}

export interface ReconcileError {
	key: string;
	field?: string;
	message: string;
}

export interface ChildCounts {
	inserted: number;
	updated: number;
	unchanged: number;
	found: number;
	missing: number;
	deleted: number;
	related: number;
	unrelated: number;
	relationsUpdated: number;
}

export interface ReconcileResult {
	/** Records whose CI was created. */
	inserted: number;
	/** Records whose CI, children or relations changed. */
	updated: number;
	/** Records with nothing to write. */
	unchanged: number;
	/** Records whose CI had been flagged missing and is back. */
	found: number;
	/** CIs of the scope not in the batch, flagged missing by this run. */
	missing: number;
	/** CIs of the scope not in the batch, deleted by this run. */
	deleted: number;
	children: ChildCounts;
	/** Rows inserted, updated or deleted in cmdb_cis, cmdb_relations and cmdb_history. */
	rowsWritten: number;
	/** Records (or parts of them) not applied, and why. */
	errors: ReconcileError[];
}

export interface ReconcileOptions {
	model?: Model;
	chunkRecords?: number;
	chunkChildren?: number;
}

// ---------------------------------------------------------------- the spec, resolved against the model

interface Child {
	spec: ChildSpec;
	domain: DomainDef;
	cls: ClassDef;
	/** The child's side of the domain; the parent is on the other. */
	childSide: 'source' | 'target';
	/** The child can have several parents (N:N, or the "one" side of 1:N): matched class-wide, never flagged. */
	shared: boolean;
	/** A parent can have at most one child in this domain. */
	single: boolean;
	/** Canonical attribute names, or 'name'. */
	identify: string[];
}

interface Resolved {
	m: Model;
	ctx: ChangeContext;
	cls: ClassDef;
	key: AttrDef;
	children: Child[];
	childByDomain: Map<string, Child>;
	respectManual: boolean;
	attrs: Map<number, Map<string, AttrDef>>;
}

function resolve(m: Model, ctx: ChangeContext, spec: ReconcileSpec): Resolved {
	const cls = m.cls(spec.class);
	if (cls.abstract)
		throw new UserError(`${cls.name} is abstract; reconcile records into one of its subclasses.`);
	const key = m.attr(cls, spec.key);
	if (!key) throw new UserError(`${cls.name} has no attribute "${spec.key}" to match records by.`);
	if (['hostname', 'name'].includes(key.name.toLowerCase()) || ['mac', 'ip'].includes(key.type))
		throw new UserError(
			`Records can't be matched by ${key.name}: host names, MAC and IP addresses change and repeat. Match by the agent id or the asset tag.`
		);
	if (!key.unique)
		throw new UserError(
			`${cls.name}.${key.name} is not unique, so it can't tell CIs apart. Make it unique or match by another attribute.`
		);
	const children: Child[] = [];
	const childByDomain = new Map<string, Child>();
	for (const cs of spec.children ?? []) {
		const domain = m.domain(cs.domain);
		const c = m.cls(cs.class);
		if (c.abstract) throw new UserError(`${c.name} is abstract; child records need a concrete class.`);
		let childSide: 'source' | 'target';
		if (m.isA(cls.id, domain.sourceClassId) && m.isA(c.id, domain.targetClassId)) childSide = 'target';
		else if (m.isA(cls.id, domain.targetClassId) && m.isA(c.id, domain.sourceClassId)) childSide = 'source';
		else
			throw new UserError(
				`${domain.name} does not link ${cls.name} and ${c.name}; it goes from ${m.classById(domain.sourceClassId).name} to ${m.classById(domain.targetClassId).name}.`
			);
		if (childByDomain.has(domain.name.toLowerCase()))
			throw new UserError(`${domain.name} is listed twice in the children of this reconciliation.`);
		if (!cs.identify.length)
			throw new UserError(`${domain.name}: name the attributes that identify a ${c.name} (identify).`);
		const identify = cs.identify.map((n) => {
			if (n.toLowerCase() === 'name') return 'name';
			const a = m.attr(c, n);
			if (!a) throw new UserError(`${c.name} has no attribute "${n}" to identify child records by.`);
			return a.name;
		});
		const shared = domain.cardinality === 'N:N' || (domain.cardinality === '1:N' && childSide === 'source');
		const single = domain.cardinality === '1:1' || (domain.cardinality === '1:N' && childSide === 'source');
		const ch: Child = { spec: cs, domain, cls: c, childSide, shared, single, identify };
		children.push(ch);
		childByDomain.set(domain.name.toLowerCase(), ch);
	}
	const involved = [cls, ...children.map((c) => c.cls)];
	const needsMessage = involved.find((c) => c.requireChangeMessage);
	if (needsMessage && ['user', 'api', 'csv'].includes(ctx.source) && !ctx.message?.trim())
		throw new ValidationError([
			{ field: 'message', message: `changes to ${needsMessage.name} need a change message` }
		]);
	const attrs = new Map<number, Map<string, AttrDef>>();
	for (const c of m.classes.values())
		attrs.set(c.id, new Map(c.attributes.map((a) => [a.name.toLowerCase(), a])));
	return {
		m,
		ctx,
		cls,
		key,
		children,
		childByDomain,
		respectManual: spec.respectManual ?? ctx.source === 'inventory',
		attrs
	};
}

// ---------------------------------------------------------------- values

interface CiLite {
	id: number;
	classId: number;
	name: string;
	data: Data;
	manual: string[];
	missingSince: Date | null;
	version: number;
}
interface NewCi extends CiLite {
	cls: ClassDef;
	isNew: true;
}
type AnyCi = CiLite | NewCi;
interface RelLite {
	id: number;
	domainId: number;
	sourceId: number;
	targetId: number;
	data: Data;
}
type Errors = { field: string; message: string }[];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function sameData(a: Data, b: Data): boolean {
	for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!same(a[k], b[k])) return false;
	return true;
}

function isObject(v: unknown): v is Data {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a patch against class `c`: canonical attribute names, canonical values, null for "clear". */
function normalise(R: Resolved, c: ClassDef, input: unknown, prefix: string, errors: Errors): Data {
	const out: Data = {};
	if (input === undefined || input === null) return out;
	if (!isObject(input)) {
		errors.push({ field: prefix.replace(/\.$/, '') || 'data', message: 'must be an object of values' });
		return out;
	}
	const attrs = R.attrs.get(c.id)!;
	for (const [k, raw] of Object.entries(input)) {
		const a = attrs.get(k.toLowerCase());
		if (!a) {
			errors.push({ field: prefix + k, message: `${c.name} has no attribute "${k}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: prefix + a.name, message: r.error });
		else out[a.name] = r.value;
	}
	return out;
}

/** Relation attribute values, checked like relate() does. */
function normaliseRelation(d: DomainDef, input: unknown, prefix: string, errors: Errors): Data {
	const out: Data = {};
	if (!isObject(input)) {
		errors.push({ field: prefix + 'relationData', message: 'must be an object of values' });
		return out;
	}
	for (const [k, raw] of Object.entries(input)) {
		const a = d.attributes.find((x) => x.name.toLowerCase() === k.toLowerCase());
		if (!a) {
			errors.push({ field: prefix + k, message: `${d.name} relations have no attribute "${k}"` });
			continue;
		}
		const r = checkValue(a, raw);
		if (!r.ok) errors.push({ field: prefix + a.name, message: r.error });
		else out[a.name] = r.value;
	}
	return out;
}

/** The complete values of something new: given values, then defaults; required ones checked. */
function complete(attrs: AttrDef[], patch: Data, prefix: string, errors: Errors): Data {
	const data: Data = {};
	for (const [k, v] of Object.entries(patch)) if (v !== null) data[k] = v;
	for (const a of attrs) {
		if (data[a.name] === undefined && a.defaultValue !== null && a.defaultValue !== undefined)
			data[a.name] = a.defaultValue;
		if (a.required && isEmptyValue(data[a.name]))
			errors.push({ field: prefix + a.name, message: 'is required' });
	}
	return data;
}

function checkName(raw: unknown, field: string, errors: Errors): string {
	const name = typeof raw === 'string' ? raw.trim() : '';
	if (!name) errors.push({ field, message: 'a CI needs a name' });
	else if (name.length > 300) errors.push({ field, message: 'at most 300 characters' });
	return name;
}

function identity(ch: Child, name: string, data: Data): string {
	return JSON.stringify(ch.identify.map((a) => (a === 'name' ? name : (data[a] ?? null))));
}

/** What must change on an existing CI, leaving hand-set values alone where the attribute protects them. */
function diffPatch(
	R: Resolved,
	row: CiLite,
	name: string,
	patch: Data
): { name?: string; data: Data } | null {
	const manual = R.respectManual ? new Set(row.manual) : null;
	const attrs = R.attrs.get(row.classId)!;
	const data: Data = {};
	for (const [k, v] of Object.entries(patch)) {
		if (manual?.has(k) && attrs.get(k.toLowerCase())?.manualPolicy !== 'overwrite') continue;
		if (!same(v, row.data[k])) data[k] = v;
	}
	const rename = name !== row.name && !manual?.has('name') ? name : undefined;
	return Object.keys(data).length || rename !== undefined ? { name: rename, data } : null;
}

// ---------------------------------------------------------------- reading

interface CiSqlRow {
	id: number;
	class_id: number;
	name: string;
	data: Data;
	manual: string[];
	missing_since: Date | string | null;
	version: number;
}
const CI_COLS = sql.raw('c.id, c.class_id, c.name, c.data, c.manual, c.missing_since, c.version');

function toCi(r: CiSqlRow): CiLite {
	return {
		id: Number(r.id),
		classId: Number(r.class_id),
		name: r.name,
		data: r.data ?? {},
		manual: r.manual ?? [],
		missingSince: r.missing_since === null ? null : new Date(r.missing_since),
		version: Number(r.version)
	};
}

const ids = (xs: number[]) =>
	sql.join(
		xs.map((x) => sql`${x}`),
		sql`, `
	);
const jsonArray = (xs: unknown[]) => sql`${JSON.stringify(xs)}::jsonb`;
const idList = (xs: number[]) => sql`array(select (jsonb_array_elements_text(${jsonArray(xs)}))::int)`;

interface Prep {
	rec: DiscoveredRecord;
	keyValue: unknown;
	keyStr: string;
}

async function fetchParents(t: Db, R: Resolved, preps: Prep[]): Promise<Map<string, CiLite>> {
	const out = new Map<string, CiLite>();
	if (!preps.length) return out;
	const classes = ids(R.cls.descendants);
	// Exact key values first: the GIN index on data answers these without scanning the class.
	const exact = preps.map((p) => sql`c.data @> ${JSON.stringify({ [R.key.name]: p.keyValue })}::jsonb`);
	const rows = await queryRows<CiSqlRow>(
		t,
		sql`select ${CI_COLS} from cmdb_cis c where c.class_id in (${classes}) and (${sql.join(exact, sql` or `)}) order by c.id`
	);
	for (const r of rows) {
		const ci = toCi(r);
		const k = String(ci.data[R.key.name]);
		if (!out.has(k)) out.set(k, ci);
	}
	// Keys are unique case-insensitively (like the unique check); the rest may differ in case only.
	const rest = preps.filter((p) => !out.has(p.keyStr)).map((p) => p.keyStr);
	if (rest.length) {
		const more = await queryRows<CiSqlRow & { k: string }>(
			t,
			sql`select ${CI_COLS}, k.value as k from cmdb_cis c
				join jsonb_array_elements_text(${jsonArray(rest)}) k on lower(c.data->>${R.key.name}) = lower(k.value)
				where c.class_id in (${classes}) order by c.id`
		);
		for (const r of more) if (!out.has(r.k)) out.set(r.k, toCi(r));
	}
	return out;
}

/** Relations of the parents in the children's domains: parent id → domain id → relations. */
async function fetchRelations(
	t: Db,
	children: Child[],
	parentIds: number[]
): Promise<Map<number, Map<number, RelLite[]>>> {
	const out = new Map<number, Map<number, RelLite[]>>();
	if (!parentIds.length) return out;
	for (const side of ['target', 'source'] as const) {
		const domains = children.filter((c) => c.childSide === side).map((c) => c.domain.id);
		if (!domains.length) continue;
		const parentCol = sql.raw(side === 'target' ? 'source_id' : 'target_id');
		const rows = await queryRows<{
			id: number;
			domain_id: number;
			source_id: number;
			target_id: number;
			data: Data;
		}>(
			t,
			sql`select id, domain_id, source_id, target_id, data from cmdb_relations
				where domain_id in (${ids(domains)}) and ${parentCol} = any(${idList(parentIds)})`
		);
		for (const r of rows) {
			const rel: RelLite = {
				id: Number(r.id),
				domainId: Number(r.domain_id),
				sourceId: Number(r.source_id),
				targetId: Number(r.target_id),
				data: r.data ?? {}
			};
			const parent = side === 'target' ? rel.sourceId : rel.targetId;
			let byDomain = out.get(parent);
			if (!byDomain) out.set(parent, (byDomain = new Map()));
			byDomain.set(rel.domainId, [...(byDomain.get(rel.domainId) ?? []), rel]);
		}
	}
	return out;
}

async function fetchCis(t: Db, idsWanted: number[]): Promise<Map<number, CiLite>> {
	const out = new Map<number, CiLite>();
	if (!idsWanted.length) return out;
	const rows = await queryRows<CiSqlRow>(
		t,
		sql`select ${CI_COLS} from cmdb_cis c where c.id = any(${idList(idsWanted)})`
	);
	for (const r of rows) out.set(Number(r.id), toCi(r));
	return out;
}

/** Shared children by identity across their whole class (the oldest CI wins if there are duplicates). */
async function fetchShared(t: Db, ch: Child, identities: string[]): Promise<Map<string, CiLite>> {
	const out = new Map<string, CiLite>();
	if (!identities.length) return out;
	const parts = ch.identify.map((a) => (a === 'name' ? sql`to_jsonb(c.name)` : sql`c.data->${a}`));
	const nameAt = ch.identify.indexOf('name');
	// With the name in the identify set, the (class, name) index narrows the search.
	const byName =
		nameAt >= 0
			? sql`and c.name = any(array(select jsonb_array_elements_text(${jsonArray([
					...new Set(identities.map((i) => String((JSON.parse(i) as unknown[])[nameAt])))
				])})))`
			: sql``;
	const rows = await queryRows<CiSqlRow & { ident: string }>(
		t,
		sql`select ${CI_COLS}, k.value as ident from cmdb_cis c
			join (select distinct value from jsonb_array_elements_text(${jsonArray(identities)})) k
				on jsonb_build_array(${sql.join(parts, sql`, `)}) = k.value::jsonb
			where c.class_id in (${ids(ch.cls.descendants)}) ${byName} order by c.id`
	);
	for (const r of rows) if (!out.has(r.ident)) out.set(r.ident, toCi(r));
	return out;
}

// ---------------------------------------------------------------- writing

interface HistoryRow {
	ci_id: number;
	class_id: number;
	version: number;
	op: string;
	actor_id: number | null;
	actor_name: string;
	source: string;
	message: string;
	changes: Record<string, [unknown, unknown]>;
	state: { name: string; classId: number; data: Data } | null;
	relation: {
		id: number;
		domainId: number;
		domain: string;
		label: string;
		otherId: number;
		otherName: string;
	} | null;
}

/** A history entry exactly as cis.ts writes one. */
function historyRow(
	R: Resolved,
	ci: Pick<CiLite, 'id' | 'classId' | 'version' | 'name' | 'data'>,
	op: string,
	e: { changes?: Record<string, [unknown, unknown]>; state?: boolean; relation?: HistoryRow['relation'] } = {}
): HistoryRow {
	return {
		ci_id: ci.id,
		class_id: ci.classId,
		version: ci.version,
		op,
		actor_id: R.ctx.actor.id,
		actor_name: R.ctx.actor.name,
		source: R.ctx.source,
		message: R.ctx.message?.trim() ?? '',
		changes: e.changes ?? {},
		state: e.state === false ? null : { name: ci.name, classId: ci.classId, data: ci.data },
		relation: e.relation ?? null
	};
}

/** The two history entries of a relation event, one on each side (as relate/unrelate write them). */
function relationHistory(
	R: Resolved,
	d: DomainDef,
	op: string,
	relId: number,
	source: AnyCi,
	target: AnyCi,
	changes?: { source?: [unknown, unknown]; target?: [unknown, unknown] }
): HistoryRow[] {
	const rel = (label: string, other: AnyCi) => ({
		id: relId,
		domainId: d.id,
		domain: d.name,
		label,
		otherId: other.id,
		otherName: other.name
	});
	return [
		historyRow(R, source, op, {
			state: false,
			relation: rel(d.forwardLabel, target),
			changes: changes?.source ? { [`${d.name}→${target.name}`]: changes.source } : {}
		}),
		historyRow(R, target, op, {
			state: false,
			relation: rel(d.reverseLabel, source),
			changes: changes?.target ? { [`${d.name}→${source.name}`]: changes.target } : {}
		})
	];
}

const BULK = 2000;

async function insertHistory(t: Db, rows: HistoryRow[]): Promise<number> {
	for (let i = 0; i < rows.length; i += BULK) {
		await t.execute(sql`
			insert into cmdb_history (ci_id, class_id, version, op, actor_id, actor_name, source, message, changes, state, relation)
			select ci_id, class_id, version, op, actor_id, actor_name, source, message, changes, state, relation
			from jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + BULK))}::jsonb) as x(
				ci_id int, class_id int, version int, op text, actor_id int, actor_name text, source text,
				message text, changes jsonb, state jsonb, relation jsonb)`);
	}
	return rows.length;
}

async function nextIds(t: Db, table: 'cmdb_cis' | 'cmdb_relations', n: number): Promise<number[]> {
	if (!n) return [];
	const rows = await queryRows<{ id: number }>(
		t,
		sql`select nextval(s.seq)::int as id
			from (select pg_get_serial_sequence(${table}, 'id')::regclass as seq) s, generate_series(1, ${n})`
	);
	return rows.map((r) => Number(r.id));
}

async function insertCis(t: Db, R: Resolved, cis: NewCi[]): Promise<number> {
	const manualFor = (data: Data) =>
		R.ctx.source === 'inventory' || R.ctx.source === 'system' ? [] : Object.keys(data);
	for (let i = 0; i < cis.length; i += BULK) {
		const part = cis.slice(i, i + BULK).map((c) => ({
			id: c.id,
			class_id: c.classId,
			name: c.name,
			data: c.data,
			manual: manualFor(c.data),
			search_text: searchText(c.cls, c.name, c.data)
		}));
		await t.execute(sql`
			insert into cmdb_cis (id, class_id, name, data, manual, search)
			select id, class_id, name, data, manual, to_tsvector('simple', search_text)
			from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(
				id int, class_id int, name text, data jsonb, manual jsonb, search_text text)`);
	}
	const history = cis.map((c) => {
		const changes: Record<string, [unknown, unknown]> = { name: [null, c.name] };
		for (const [k, v] of Object.entries(c.data)) changes[k] = [null, v];
		return historyRow(R, c, 'create', { changes });
	});
	return cis.length + (await insertHistory(t, history));
}

/** Flags CIs missing: missingSince set, a new version, a 'missing' history entry. */
async function flagMissing(t: Db, R: Resolved, idsToFlag: number[]): Promise<number> {
	if (!idsToFlag.length) return 0;
	const rows = await queryRows<CiSqlRow>(
		t,
		sql`update cmdb_cis c set missing_since = now(), version = c.version + 1, updated_at = now()
			where c.id = any(${idList(idsToFlag)}) and c.missing_since is null returning ${CI_COLS}`
	);
	await insertHistory(
		t,
		rows.map((r) => historyRow(R, toCi(r), 'missing'))
	);
	return rows.length;
}

/** A CI back after being flagged missing, for sources other than inventory (updateCi does it for inventory). */
async function markFound(t: Db, R: Resolved, id: number): Promise<CiLite> {
	const [r] = await queryRows<CiSqlRow>(
		t,
		sql`update cmdb_cis c set missing_since = null, version = c.version + 1, updated_at = now()
			where c.id = ${id} returning ${CI_COLS}`
	);
	const ci = toCi(r);
	await insertHistory(t, [historyRow(R, ci, 'found')]);
	return ci;
}

async function deleteWithCount(t: Db, R: Resolved, id: number): Promise<number> {
	const [{ n }] = await queryRows<{ n: number }>(
		t,
		sql`select count(*)::int as n from cmdb_relations where source_id = ${id} or target_id = ${id}`
	);
	await deleteCi(t, R.ctx, id);
	return 2 + 3 * Number(n);
}

function fieldErrors(key: string, e: unknown, prefix = ''): ReconcileError[] {
	if (e instanceof ValidationError)
		return e.fields.map((f) => ({ key, field: prefix + f.field, message: f.message }));
	// Drizzle wraps driver errors in one that quotes the whole query and its parameters; the cause says it.
	const cause = (e as { cause?: unknown }).cause;
	const message =
		e instanceof UserError
			? e.message
			: `The database refused this record: ${cause instanceof Error ? cause.message : (e as Error).message}`;
	const field = prefix.replace(/\.$/, '');
	return [field ? { key, field, message } : { key, message }];
}

// ---------------------------------------------------------------- one chunk

interface PChild {
	ch: Child;
	name: string;
	patch: Data;
	identity: string;
	relData?: Data;
	field: string;
}

interface Plan {
	prep: Prep;
	errors: ReconcileError[];
	dropped: boolean;
	parent: AnyCi;
	parentPatch: { name?: string; data: Data } | null;
	parentFound: boolean;
	childUpdates: { row: CiLite; patch: { name?: string; data: Data } | null; found: boolean; field: string }[];
	relAdds: { ch: Child; child: AnyCi; data: Data; field: string }[];
	relUpdates: { ch: Child; rel: RelLite; child: CiLite; data: Data }[];
	relRemoves: { ch: Child; rel: RelLite; child: CiLite }[];
	flagChildren: CiLite[];
	deleteChildren: { ch: Child; child: CiLite }[];
	unchangedChildren: number;
	wrote: boolean;
}

function emptyResult(): ReconcileResult {
	return {
		inserted: 0,
		updated: 0,
		unchanged: 0,
		found: 0,
		missing: 0,
		deleted: 0,
		children: {
			inserted: 0,
			updated: 0,
			unchanged: 0,
			found: 0,
			missing: 0,
			deleted: 0,
			related: 0,
			unrelated: 0,
			relationsUpdated: 0
		},
		rowsWritten: 0,
		errors: []
	};
}

function merge(into: ReconcileResult, part: ReconcileResult) {
	for (const k of ['inserted', 'updated', 'unchanged', 'found', 'missing', 'deleted', 'rowsWritten'] as const)
		into[k] += part[k];
	for (const k of Object.keys(into.children) as (keyof ChildCounts)[]) into.children[k] += part.children[k];
	into.errors.push(...part.errors);
}

function newCi(cls: ClassDef, name: string, data: Data): NewCi {
	return {
		id: 0,
		classId: cls.id,
		name,
		data,
		manual: [],
		missingSince: null,
		version: 1,
		cls,
		isNew: true
	};
}

/** Child records of one record, checked; domains with a bad child are not checked for missing children. */
function prepareChildren(R: Resolved, rec: DiscoveredRecord, errors: ReconcileError[]) {
	const byChild = new Map<Child, PChild[]>();
	const incomplete = new Set<Child>();
	if (rec.children === undefined || rec.children === null) return { byChild, incomplete };
	if (!isObject(rec.children)) {
		errors.push({ key: rec.key, field: 'children', message: 'must be an object of lists by domain' });
		return { byChild, incomplete };
	}
	for (const [domainName, list] of Object.entries(rec.children)) {
		const ch = R.childByDomain.get(domainName.toLowerCase());
		if (!ch) {
			errors.push({
				key: rec.key,
				field: domainName,
				message: `is not one of the relation types reconciled here (${R.children.map((c) => c.domain.name).join(', ') || 'none'})`
			});
			continue;
		}
		if (!Array.isArray(list)) {
			errors.push({ key: rec.key, field: ch.domain.name, message: 'must be a list of child records' });
			incomplete.add(ch);
			continue;
		}
		if (ch.single && list.length > 1) {
			errors.push({
				key: rec.key,
				field: ch.domain.name,
				message: `${ch.domain.name} is ${ch.domain.cardinality}: a ${R.cls.name} has at most one; ${list.length} were given`
			});
			incomplete.add(ch);
			continue;
		}
		const out: PChild[] = [];
		const seen = new Set<string>();
		list.forEach((item: DiscoveredChild, i) => {
			const field = `${ch.domain.name}[${i}]`;
			const errs: Errors = [];
			if (!isObject(item)) errs.push({ field, message: 'must be an object with name and data' });
			const name = checkName(item?.name, `${field}.name`, errs);
			const patch = normalise(R, ch.cls, item?.data, `${field}.`, errs);
			const relData =
				item?.relationData === undefined
					? undefined
					: normaliseRelation(ch.domain, item.relationData, `${field}.`, errs);
			const values = ch.identify.map((a) => (a === 'name' ? name : patch[a]));
			if (!errs.length && values.every((v) => isEmptyValue(v)))
				errs.push({
					field,
					message: `needs ${ch.identify.join(' or ')} to tell this ${ch.cls.name} apart from the others`
				});
			const id = identity(ch, name, patch);
			if (!errs.length && seen.has(id))
				errs.push({
					field,
					message: `is the same ${ch.cls.name} as an earlier one (${ch.identify.join(', ')})`
				});
			seen.add(id);
			if (errs.length) {
				for (const e of errs) errors.push({ key: rec.key, ...e });
				incomplete.add(ch);
				return;
			}
			out.push({ ch, name, patch, identity: id, relData, field });
		});
		byChild.set(ch, out);
	}
	return { byChild, incomplete };
}

async function applyChunk(t: Db, R: Resolved, preps: Prep[]): Promise<ReconcileResult> {
	await lockModel(t);
	const out = emptyResult();
	const records = preps.map((p) => {
		const errors: ReconcileError[] = [];
		return { p, errors, ...prepareChildren(R, p.rec, errors) };
	});

	// Read everything that exists: parents, their children's relations, the children, shared children.
	const parents = await fetchParents(t, R, preps);
	const rels = await fetchRelations(
		t,
		R.children,
		[...parents.values()].map((p) => p.id)
	);
	const childIds = new Set<number>();
	for (const byDomain of rels.values())
		for (const [domainId, list] of byDomain) {
			const ch = R.children.find((c) => c.domain.id === domainId)!;
			for (const r of list) childIds.add(ch.childSide === 'target' ? r.targetId : r.sourceId);
		}
	const childRows = await fetchCis(t, [...childIds]);
	const existing = records.map((r) => {
		const parent = parents.get(r.p.keyStr);
		const byChild = new Map<Child, Map<string, { rel: RelLite; row: CiLite }>>();
		for (const ch of R.children) {
			const m = new Map<string, { rel: RelLite; row: CiLite }>();
			for (const rel of (parent && rels.get(parent.id)?.get(ch.domain.id)) || []) {
				const row = childRows.get(ch.childSide === 'target' ? rel.targetId : rel.sourceId)!;
				const id = identity(ch, row.name, row.data);
				// Two related children that look the same (entered by hand): the first matches, the other is gone.
				if (!m.has(id)) m.set(id, { rel, row });
				else m.set(`${id}#${rel.id}`, { rel, row });
			}
			byChild.set(ch, m);
		}
		return byChild;
	});
	const shared = new Map<Child, Map<string, CiLite>>();
	for (const ch of R.children.filter((c) => c.shared)) {
		const wanted = new Set<string>();
		records.forEach((r, i) => {
			for (const pc of r.byChild.get(ch) ?? [])
				if (!existing[i].get(ch)!.has(pc.identity)) wanted.add(pc.identity);
		});
		shared.set(ch, await fetchShared(t, ch, [...wanted]));
	}

	// Compare in memory and plan the writes.
	const sharedNew = new Map<string, NewCi>();
	const childUpdatePlanned = new Set<number>();
	const plans: Plan[] = [];
	records.forEach((r, i) => {
		const { rec } = r.p;
		const errs: Errors = [];
		const name = checkName(rec.name, 'name', errs);
		const row = parents.get(r.p.keyStr);
		const cls = row ? R.m.classById(row.classId) : R.cls;
		const patch = normalise(R, cls, rec.data, '', errs);
		if (R.key.name in patch && !same(patch[R.key.name], r.p.keyValue))
			errs.push({ field: R.key.name, message: `differs from the record's key "${r.p.keyStr}"` });
		delete patch[R.key.name];
		let parent: AnyCi;
		if (row) parent = row;
		else
			parent = newCi(cls, name, complete(cls.attributes, { ...patch, [R.key.name]: r.p.keyValue }, '', errs));
		if (errs.length) {
			out.errors.push(...r.errors, ...errs.map((e) => ({ key: rec.key, ...e })));
			return;
		}
		const plan: Plan = {
			prep: r.p,
			errors: r.errors,
			dropped: false,
			parent,
			parentPatch: row ? diffPatch(R, row, name, patch) : null,
			parentFound: !!row?.missingSince,
			childUpdates: [],
			relAdds: [],
			relUpdates: [],
			relRemoves: [],
			flagChildren: [],
			deleteChildren: [],
			unchangedChildren: 0,
			wrote: false
		};
		for (const ch of R.children) {
			const given = r.byChild.get(ch);
			if (!given) continue; // not reported: left alone
			const have = existing[i].get(ch)!;
			const matched = new Set<number>();
			for (const pc of given) {
				const hit = have.get(pc.identity);
				const relErrs: Errors = [];
				if (hit) {
					matched.add(hit.rel.id);
					const diff = diffPatch(R, hit.row, pc.name, pc.patch);
					let touched = false;
					if ((diff || hit.row.missingSince) && !childUpdatePlanned.has(hit.row.id)) {
						childUpdatePlanned.add(hit.row.id);
						plan.childUpdates.push({
							row: hit.row,
							patch: diff,
							found: !!hit.row.missingSince,
							field: pc.field
						});
						touched = true;
					}
					if (pc.relData) {
						const data = { ...hit.rel.data };
						for (const [k, v] of Object.entries(pc.relData)) {
							if (v === null) delete data[k];
							else data[k] = v;
						}
						if (!sameData(data, hit.rel.data)) {
							plan.relUpdates.push({ ch, rel: hit.rel, child: hit.row, data });
							touched = true;
						}
					}
					if (!touched) plan.unchangedChildren++;
					continue;
				}
				const relData = complete(ch.domain.attributes, pc.relData ?? {}, `${pc.field}.`, relErrs);
				const childErrs: Errors = [];
				let child: AnyCi | undefined;
				if (ch.shared) {
					const found = shared.get(ch)!.get(pc.identity);
					if (found) {
						child = found;
						const diff = diffPatch(R, found, pc.name, pc.patch);
						if ((diff || found.missingSince) && !childUpdatePlanned.has(found.id)) {
							childUpdatePlanned.add(found.id);
							plan.childUpdates.push({
								row: found,
								patch: diff,
								found: !!found.missingSince,
								field: pc.field
							});
						}
					} else {
						const k = `${ch.cls.id}|${pc.identity}`;
						child = sharedNew.get(k);
						if (!child) {
							const data = complete(ch.cls.attributes, pc.patch, `${pc.field}.`, childErrs);
							if (!childErrs.length) sharedNew.set(k, (child = newCi(ch.cls, pc.name, data)));
						}
					}
				} else {
					const data = complete(ch.cls.attributes, pc.patch, `${pc.field}.`, childErrs);
					if (!childErrs.length) child = newCi(ch.cls, pc.name, data);
				}
				if (relErrs.length || childErrs.length || !child) {
					plan.errors.push(...[...childErrs, ...relErrs].map((e) => ({ key: rec.key, ...e })));
					r.incomplete.add(ch);
					continue;
				}
				plan.relAdds.push({ ch, child, data: relData, field: pc.field });
			}
			if (r.incomplete.has(ch)) continue; // a bad child record: don't conclude anything is gone
			for (const { rel, row: child } of have.values()) {
				if (matched.has(rel.id)) continue;
				if (ch.shared || ch.spec.missing === 'flag') plan.relRemoves.push({ ch, rel, child });
				if (!ch.shared && ch.spec.missing === 'flag') plan.flagChildren.push(child);
				if (!ch.shared && ch.spec.missing === 'delete') plan.deleteChildren.push({ ch, child });
			}
		}
		plans.push(plan);
	});

	// 1. New CIs: checks that need the database (unique values, references), also against each other.
	const uniq = new Set<string>();
	const checkNew = async (n: NewCi): Promise<Errors> => {
		const errs: Errors = [];
		const keys: string[] = [];
		for (const a of n.cls.attributes) {
			if (!a.unique || isEmptyValue(n.data[a.name])) continue;
			const k = `${a.id}:${String(n.data[a.name]).toLowerCase()}`;
			if (uniq.has(k))
				errs.push({
					field: a.name,
					message: `must be unique; "${n.data[a.name]}" is given twice in this batch`
				});
			keys.push(k);
		}
		const needsDb = n.cls.attributes.some(
			(a) => (a.unique || a.type === 'reference') && !isEmptyValue(n.data[a.name])
		);
		if (!errs.length && needsDb) {
			try {
				n.data = await validateData(t, R.m, n.cls, n.data, { applyDefaults: true });
			} catch (e) {
				if (!(e instanceof ValidationError)) throw e;
				errs.push(...e.fields);
			}
		}
		if (!errs.length) for (const k of keys) uniq.add(k);
		return errs;
	};
	const parentCreates: NewCi[] = [];
	for (const plan of plans) {
		if (!('isNew' in plan.parent)) continue;
		const errs = await checkNew(plan.parent);
		if (errs.length) {
			plan.dropped = true;
			plan.errors.push(...errs.map((e) => ({ key: plan.prep.rec.key, ...e })));
		} else parentCreates.push(plan.parent);
	}

	// 2. Changes to existing CIs, through updateCi; each record's in a savepoint so a refusal drops only it.
	for (const plan of plans) {
		if (plan.dropped) continue;
		if (!plan.parentPatch && !plan.parentFound && !plan.childUpdates.length) continue;
		const done: { row: CiLite; after: CiLite; changed: boolean; found: boolean; parent: boolean }[] = [];
		let rows = 0;
		try {
			await t.transaction(async (sp0) => {
				const sp = sp0 as unknown as Db;
				const apply = async (
					row: CiLite,
					patch: { name?: string; data: Data } | null,
					wasMissing: boolean,
					parent: boolean,
					field?: string
				) => {
					let after: CiLite | CiRow = row;
					let changed = false;
					try {
						const r = await updateCi(
							sp,
							R.ctx,
							{ id: row.id, name: patch?.name, data: patch?.data ?? {} },
							{ model: R.m, respectManual: R.respectManual }
						);
						after = r.ci;
						changed = r.changed;
						if (changed) rows += 2;
						if (after.missingSince) {
							after = await markFound(sp, R, row.id);
							rows += 2;
						}
					} catch (e) {
						throw field ? Object.assign(e as Error, { field }) : e;
					}
					done.push({ row, after, changed: changed || wasMissing, found: wasMissing, parent });
				};
				if (plan.parentPatch || plan.parentFound)
					await apply(plan.parent as CiLite, plan.parentPatch, plan.parentFound, true);
				for (const u of plan.childUpdates) await apply(u.row, u.patch, u.found, false, u.field);
			});
		} catch (e) {
			const prefix = (e as { field?: string }).field;
			plan.dropped = true;
			plan.errors.push(...fieldErrors(plan.prep.rec.key, e, prefix ? `${prefix}.` : ''));
			continue;
		}
		out.rowsWritten += rows;
		for (const d of done) {
			Object.assign(d.row, {
				name: d.after.name,
				data: d.after.data,
				version: d.after.version,
				missingSince: d.after.missingSince,
				manual: d.after.manual
			});
			if (!d.changed) continue;
			plan.wrote = true;
			if (d.parent) continue;
			if (d.found) out.children.found++;
			else out.children.updated++;
		}
	}

	// 3. New children, checked the same way.
	const checked = new Map<NewCi, Errors>();
	const childCreates: NewCi[] = [];
	for (const plan of plans.filter((p) => !p.dropped)) {
		const keep: Plan['relAdds'] = [];
		for (const add of plan.relAdds) {
			if (!('isNew' in add.child)) {
				keep.push(add);
				continue;
			}
			const n = add.child;
			let errs = checked.get(n);
			if (!errs) {
				errs = await checkNew(n);
				checked.set(n, errs);
				if (!errs.length) childCreates.push(n);
			}
			if (errs.length)
				plan.errors.push(
					...errs.map((e) => ({ key: plan.prep.rec.key, ...e, field: `${add.field}.${e.field}` }))
				);
			else keep.push(add);
		}
		plan.relAdds = keep;
	}
	const creates = [...parentCreates, ...childCreates];
	const newIds = await nextIds(t, 'cmdb_cis', creates.length);
	creates.forEach((n, i) => (n.id = newIds[i]));
	out.rowsWritten += await insertCis(t, R, creates);
	out.children.inserted += childCreates.length;
	const survivors = plans.filter((p) => !p.dropped);

	const ends = (ch: Child, parent: AnyCi, child: AnyCi) =>
		ch.childSide === 'target' ? { source: parent, target: child } : { source: child, target: parent };

	// 4. Relations that end, before new ones begin (a 1:1 slot is freed first).
	const removes = survivors.flatMap((p) => p.relRemoves.map((x) => ({ ...x, parent: p.parent })));
	if (removes.length) {
		await t.execute(sql`delete from cmdb_relations where id = any(${idList(removes.map((x) => x.rel.id))})`);
		const h = removes.flatMap((x) => {
			const e = ends(x.ch, x.parent, x.child);
			return relationHistory(R, x.ch.domain, 'unrelate', x.rel.id, e.source, e.target);
		});
		out.rowsWritten += removes.length + (await insertHistory(t, h));
		out.children.unrelated += removes.length;
	}

	// 5. Children no longer reported: flagged, or deleted.
	const flagged = await flagMissing(
		t,
		R,
		survivors.flatMap((p) => p.flagChildren.map((c) => c.id))
	);
	out.rowsWritten += flagged * 2;
	out.children.missing += flagged;
	for (const plan of survivors)
		for (const { ch, child } of plan.deleteChildren) {
			try {
				out.rowsWritten += await deleteWithCount(t, R, child.id);
				out.children.deleted++;
			} catch (e) {
				plan.errors.push(...fieldErrors(plan.prep.rec.key, e, `${ch.domain.name}.`));
			}
		}

	// 6. New relations. Containment domains go through relate() for its cycle check.
	const adds = survivors.flatMap((p) => p.relAdds.map((x) => ({ ...x, plan: p })));
	for (const x of adds.filter((a) => a.ch.domain.containment)) {
		const e = ends(x.ch, x.plan.parent, x.child);
		try {
			await relate(
				t,
				R.ctx,
				{ domain: x.ch.domain.name, sourceId: e.source.id, targetId: e.target.id, data: x.data },
				R.m
			);
			out.rowsWritten += 3;
			out.children.related++;
		} catch (err) {
			x.plan.errors.push(...fieldErrors(x.plan.prep.rec.key, err, `${x.field}.`));
		}
	}
	const bulk = adds.filter((a) => !a.ch.domain.containment);
	const relIds = await nextIds(t, 'cmdb_relations', bulk.length);
	const relRows = bulk.map((x, i) => {
		const e = ends(x.ch, x.plan.parent, x.child);
		return {
			id: relIds[i],
			domain_id: x.ch.domain.id,
			source_id: e.source.id,
			target_id: e.target.id,
			data: x.data,
			e,
			x
		};
	});
	for (let i = 0; i < relRows.length; i += BULK) {
		const part = relRows.slice(i, i + BULK).map(({ e: _e, x: _x, ...row }) => row);
		await t.execute(sql`
			insert into cmdb_relations (id, domain_id, source_id, target_id, data)
			select id, domain_id, source_id, target_id, data
			from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(id int, domain_id int, source_id int, target_id int, data jsonb)`);
	}
	const relHistory = relRows.flatMap((r) =>
		relationHistory(
			R,
			r.x.ch.domain,
			'relate',
			r.id,
			r.e.source,
			r.e.target,
			Object.keys(r.data).length ? { source: [null, r.data] } : undefined
		)
	);
	out.rowsWritten += relRows.length + (await insertHistory(t, relHistory));
	out.children.related += relRows.length;

	// 7. Changed relation values.
	const relUpdates = survivors.flatMap((p) => p.relUpdates.map((x) => ({ ...x, parent: p.parent })));
	if (relUpdates.length) {
		await t.execute(sql`
			update cmdb_relations r set data = x.data
			from jsonb_to_recordset(${JSON.stringify(relUpdates.map((u) => ({ id: u.rel.id, data: u.data })))}::jsonb) as x(id int, data jsonb)
			where r.id = x.id`);
		const h = relUpdates.flatMap((u) => {
			const e = ends(u.ch, u.parent, u.child);
			const change: [unknown, unknown] = [u.rel.data, u.data];
			return relationHistory(R, u.ch.domain, 'update', u.rel.id, e.source, e.target, {
				source: change,
				target: change
			});
		});
		out.rowsWritten += relUpdates.length + (await insertHistory(t, h));
		out.children.relationsUpdated += relUpdates.length;
	}

	// Outcome per record.
	for (const plan of plans) {
		out.errors.push(...plan.errors);
		if (plan.dropped) continue;
		out.children.unchanged += plan.unchangedChildren;
		const wrote =
			plan.wrote ||
			plan.relAdds.length > 0 ||
			plan.relRemoves.length > 0 ||
			plan.relUpdates.length > 0 ||
			plan.flagChildren.length > 0 ||
			plan.deleteChildren.length > 0;
		if ('isNew' in plan.parent) out.inserted++;
		else if (plan.parentFound) out.found++;
		else if (wrote) out.updated++;
		else out.unchanged++;
	}
	return out;
}

// ---------------------------------------------------------------- missing parents

async function missingParents(
	db: Db,
	R: Resolved,
	spec: ReconcileSpec,
	seen: Set<string>,
	out: ReconcileResult
) {
	const scope = spec.scope ?? 'batch';
	if (spec.missing === 'ignore' || scope === 'batch') return;
	await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		await lockModel(t);
		const where: SQL =
			scope === 'class'
				? sql`c.data ? ${R.key.name}`
				: sql`lower(c.data->>${R.key.name}) in (select lower(value) from jsonb_array_elements_text(${jsonArray(scope.keys.map(String))}))`;
		const rows = (
			await queryRows<CiSqlRow>(
				t,
				sql`select ${CI_COLS} from cmdb_cis c where c.class_id in (${ids(R.cls.descendants)}) and ${where} order by c.id`
			)
		).map(toCi);
		const gone = rows.filter(
			(r) => !isEmptyValue(r.data[R.key.name]) && !seen.has(String(r.data[R.key.name]).toLowerCase())
		);
		if (spec.missing === 'flag') {
			const n = await flagMissing(
				t,
				R,
				gone.filter((r) => !r.missingSince).map((r) => r.id)
			);
			out.missing += n;
			out.rowsWritten += 2 * n;
			return;
		}
		// Deleted: its own children (memory, disks) follow their policy; shared ones are only unrelated.
		const owned = R.children.filter((c) => !c.shared);
		const rels = await fetchRelations(
			t,
			owned,
			gone.map((g) => g.id)
		);
		for (const g of gone) {
			const key = String(g.data[R.key.name]);
			let rows = 0;
			let children = { deleted: 0, missing: 0 };
			try {
				await t.transaction(async (sp0) => {
					const sp = sp0 as unknown as Db;
					rows = 0;
					children = { deleted: 0, missing: 0 };
					const toFlag: number[] = [];
					for (const ch of owned)
						for (const rel of rels.get(g.id)?.get(ch.domain.id) ?? []) {
							const childId = ch.childSide === 'target' ? rel.targetId : rel.sourceId;
							if (ch.spec.missing === 'delete') {
								rows += await deleteWithCount(sp, R, childId);
								children.deleted++;
							} else toFlag.push(childId);
						}
					const n = await flagMissing(sp, R, toFlag);
					rows += 2 * n;
					children.missing += n;
					rows += await deleteWithCount(sp, R, g.id);
				});
			} catch (e) {
				out.errors.push(...fieldErrors(key, e));
				continue;
			}
			out.deleted++;
			out.rowsWritten += rows;
			out.children.deleted += children.deleted;
			out.children.missing += children.missing;
		}
	});
}

// ---------------------------------------------------------------- the entry point

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
