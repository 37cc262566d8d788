// The shapes reconciliation works with: what callers pass and get back (re-exported by index.ts), and the
// in-memory forms of the spec, the records and the CIs it compares.
import type { ChangeContext } from '../cis';
import type { AttrDef, ClassDef, DomainDef, Model } from '../model';

export type Data = Record<string, unknown>;
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

// ---------------------------------------------------------------- internal

export interface Child {
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

export interface Resolved {
	m: Model;
	ctx: ChangeContext;
	cls: ClassDef;
	key: AttrDef;
	children: Child[];
	childByDomain: Map<string, Child>;
	respectManual: boolean;
	attrs: Map<number, Map<string, AttrDef>>;
	/** The database has one connection (PGlite): see write.ts singleConnection. */
	singleConnection: boolean;
}

export interface CiLite {
	id: number;
	classId: number;
	name: string;
	data: Data;
	manual: string[];
	missingSince: Date | null;
	version: number;
}
export interface NewCi extends CiLite {
	cls: ClassDef;
	isNew: true;
}
export type AnyCi = CiLite | NewCi;
export interface RelLite {
	id: number;
	domainId: number;
	sourceId: number;
	targetId: number;
	data: Data;
}
export type Errors = { field: string; message: string }[];

export interface Prep {
	rec: DiscoveredRecord;
	keyValue: unknown;
	keyStr: string;
}

export interface PChild {
	ch: Child;
	name: string;
	patch: Data;
	identity: string;
	relData?: Data;
	field: string;
}

export interface Plan {
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

/** One record of a chunk with its child records checked (plan.ts prepareChildren). */
export interface ChunkRecord {
	p: Prep;
	errors: ReconcileError[];
	byChild: Map<Child, PChild[]>;
	/** Domains with a bad child record: nothing is concluded missing in them. */
	incomplete: Set<Child>;
}

/** What exists for a chunk's records, read before anything is compared (read.ts readExisting). */
export interface Existing {
	/** Parent CIs by key. */
	parents: Map<string, CiLite>;
	/** Per record (same order), per child domain: related children by identity. */
	children: Map<Child, Map<string, { rel: RelLite; row: CiLite }>>[];
	/** Shared children not related to their parent yet, by identity across their class. */
	shared: Map<Child, Map<string, CiLite>>;
}
