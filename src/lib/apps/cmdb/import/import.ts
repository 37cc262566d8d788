/** Pure helpers for the CSV import wizard (unit-tested in import.spec.ts). */

/** Refused in the browser before reading; the server has its own limit too. */
export const MAX_CSV_BYTES = 10 * 1024 * 1024;

export type Mapping = Record<string, string>;

export interface AttributeChoice {
	name: string;
	label: string;
	required: boolean;
	unique: boolean;
	/** Shown after the label, e.g. "key only" or the subclass that defines it. */
	note?: string;
}

/**
 * What a column can fill: the built-in name, id (only as the key) and class (when the class has
 * subclasses), then the attributes of the class and of its subclasses, as the server accepts them.
 */
export function importTargets(
	classes: {
		name: string;
		lineage: string[];
		attributes: { name: string; label: string; required: boolean; unique: boolean; displayOrder: number }[];
	}[],
	className: string
): AttributeChoice[] {
	const scope = classes.filter((c) => c.lineage.includes(className));
	const own = scope.find((c) => c.name === className);
	const out: AttributeChoice[] = [
		{ name: 'name', label: 'Name', required: true, unique: false },
		{ name: 'id', label: 'Id', required: false, unique: true, note: 'to update CIs by id' }
	];
	if (scope.length > 1)
		out.push({ name: 'class', label: 'Class', required: false, unique: false, note: 'a subclass' });
	const seen = new Set<string>();
	for (const c of [own, ...scope.filter((x) => x !== own)]) {
		if (!c) continue;
		const attrs = [...c.attributes].sort(
			(a, b) => a.displayOrder - b.displayOrder || a.name.localeCompare(b.name)
		);
		for (const a of attrs) {
			const k = a.name.toLowerCase();
			if (seen.has(k)) continue;
			seen.add(k);
			out.push({
				name: a.name,
				label: a.label || a.name,
				required: a.required,
				unique: a.unique,
				note: c === own ? undefined : `${c.name} only`
			});
		}
	}
	return out;
}

/**
 * The mapping to start from for a file's columns: what the user chose for a column in this session
 * (another file, same columns), else what was remembered for the class, else the server's suggestion.
 * Only attributes that exist are kept, and no attribute is taken twice.
 */
export function initialMapping(
	columns: string[],
	attributes: AttributeChoice[],
	sources: (Mapping | null | undefined)[]
): Mapping {
	const known = new Set(attributes.map((a) => a.name));
	const taken = new Set<string>();
	const out: Mapping = {};
	for (const col of columns) {
		out[col] = '';
		for (const src of sources) {
			if (!src || !(col in src)) continue;
			const attr = src[col];
			if (attr === '' || (known.has(attr) && !taken.has(attr))) {
				out[col] = attr;
				break;
			}
		}
		if (out[col]) taken.add(out[col]);
	}
	return out;
}

export interface MappingCheck {
	/** Block the dry run. */
	errors: string[];
	/** Allowed, but worth knowing. */
	warnings: string[];
	/** Column → message. */
	columns: Record<string, string>;
}

export function checkMapping(mapping: Mapping, keyAttribute: string): MappingCheck {
	const errors: string[] = [];
	const warnings: string[] = [];
	const columns: Record<string, string> = {};
	const byAttr = new Map<string, string[]>();
	for (const [col, attr] of Object.entries(mapping)) {
		if (!attr) continue;
		byAttr.set(attr, [...(byAttr.get(attr) ?? []), col]);
	}
	for (const [attr, cols] of byAttr) {
		if (cols.length < 2) continue;
		for (const c of cols.slice(1)) columns[c] = `“${attr}” is already taken by column “${cols[0]}”.`;
	}
	if (!keyAttribute) errors.push('Choose the key that finds existing CIs.');
	else if (keyAttribute === 'class')
		errors.push('The class column can’t be the key; choose name, id or an attribute.');
	else if (!byAttr.has(keyAttribute))
		errors.push(`The key “${keyAttribute}” is not mapped to any column; map it or choose another key.`);
	if (!byAttr.has('name'))
		warnings.push(
			'No column is mapped to “name”: rows can only update existing CIs, and a row that matches none is an error.'
		);
	if (byAttr.has('id') && keyAttribute !== 'id')
		warnings.push('The id column is only used as the key; with another key it is ignored.');
	return { errors, warnings, columns };
}

/**
 * The default key: the remembered one if it is mapped, else id (a file exported from Fleetdesk), else the
 * first unique attribute mapped, else name.
 */
export function defaultKey(
	mapping: Mapping,
	attributes: AttributeChoice[],
	remembered?: string | null
): string {
	const mapped = new Set(Object.values(mapping).filter(Boolean));
	if (remembered && mapped.has(remembered) && remembered !== 'class') return remembered;
	if (mapped.has('id')) return 'id';
	const unique = attributes.find((a) => a.unique && mapped.has(a.name));
	return unique?.name ?? 'name';
}

/** Attributes usable as the key: any mapped target but class; id, then unique ones, then name first. */
export function keyChoices(mapping: Mapping, attributes: AttributeChoice[]): AttributeChoice[] {
	const mapped = new Set(Object.values(mapping).filter(Boolean));
	const rank = (a: AttributeChoice) => (a.name === 'id' ? 0 : a.unique ? 1 : a.name === 'name' ? 2 : 3);
	return attributes.filter((a) => mapped.has(a.name) && a.name !== 'class').sort((a, b) => rank(a) - rank(b));
}

export function formatBytes(n: number): string {
	if (n < 1024) return `${n} B`;
	const mb = n >= 1024 * 1024;
	const v = mb ? n / 1024 / 1024 : n / 1024;
	return `${Number.isInteger(v) ? v : v.toFixed(1)} ${mb ? 'MB' : 'KB'}`;
}

/** One cell of a dry-run change, whatever type the value has. */
export function showValue(v: unknown): string {
	if (v === null || v === undefined || v === '') return '∅';
	if (typeof v === 'object') return JSON.stringify(v);
	return String(v);
}

export interface Change {
	field: string;
	before: unknown;
	after: unknown;
}

/**
 * Changes of an update row, as a list. Accepts the shapes a server might send: an array of
 * {field|attr, before|from|old, after|to|new}, or a record field → {before, after} / [before, after].
 */
export function normaliseChanges(changes: unknown): Change[] {
	if (!changes) return [];
	const pick = (o: Record<string, unknown>, keys: string[]) => {
		for (const k of keys) if (k in o) return o[k];
		return undefined;
	};
	const one = (field: string, v: unknown): Change => {
		if (Array.isArray(v)) return { field, before: v[0], after: v[1] };
		if (v && typeof v === 'object') {
			const o = v as Record<string, unknown>;
			return { field, before: pick(o, ['before', 'from', 'old']), after: pick(o, ['after', 'to', 'new']) };
		}
		return { field, before: undefined, after: v };
	};
	if (Array.isArray(changes)) {
		return changes.map((c) => {
			const o = (c ?? {}) as Record<string, unknown>;
			return one(String(pick(o, ['field', 'attr', 'attribute', 'name']) ?? ''), o);
		});
	}
	if (typeof changes === 'object') return Object.entries(changes).map(([k, v]) => one(k, v));
	return [];
}
