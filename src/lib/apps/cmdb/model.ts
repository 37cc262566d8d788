// Questions the app asks of the data model, answered from the model as cmdb.model returns it.
import type { AttrView, ClassView, DomainView, ModelView } from './types';

export interface ClassNode {
	cls: ClassView;
	children: ClassNode[];
}

/** The inheritance forest, roots and children sorted by label. */
export function classTree(classes: ClassView[]): ClassNode[] {
	const nodes = new Map(classes.map((c) => [c.name, { cls: c, children: [] as ClassNode[] }]));
	const roots: ClassNode[] = [];
	for (const n of nodes.values()) {
		const parent = n.cls.parent ? nodes.get(n.cls.parent) : undefined;
		(parent ? parent.children : roots).push(n);
	}
	const sort = (list: ClassNode[]) => {
		list.sort((a, b) => a.cls.label.localeCompare(b.cls.label));
		for (const n of list) sort(n.children);
	};
	sort(roots);
	return roots;
}

export function findClass(model: ModelView, name: string | null | undefined): ClassView | undefined {
	if (!name) return undefined;
	const n = name.toLowerCase();
	return model.classes.find((c) => c.name.toLowerCase() === n);
}

/** The class and every class below it. */
export function descendants(model: ModelView, name: string): ClassView[] {
	return model.classes.filter((c) => c.lineage.includes(name));
}

/** Classes a "New …" button can create for a class: itself, or for an abstract class its concrete subclasses. */
export function concreteClasses(model: ModelView, name: string): ClassView[] {
	return descendants(model, name)
		.filter((c) => !c.abstract)
		.sort((a, b) => a.label.localeCompare(b.label));
}

export interface DomainSide {
	domain: DomainView;
	/** The side a CI of the class is on. */
	side: 'source' | 'target';
	/** The relation's name read from this side ("contains" / "is in"). */
	label: string;
	/** The class of the CI at the other end. */
	otherClass: string;
}

/** Relation types a CI of this class can take part in, once per side (a domain from a class to itself twice). */
export function domainSides(model: ModelView, cls: ClassView): DomainSide[] {
	const out: DomainSide[] = [];
	for (const d of model.domains) {
		if (cls.lineage.includes(d.source))
			out.push({ domain: d, side: 'source', label: d.forwardLabel, otherClass: d.target });
		if (cls.lineage.includes(d.target))
			out.push({ domain: d, side: 'target', label: d.reverseLabel, otherClass: d.source });
	}
	return out.sort((a, b) => a.label.localeCompare(b.label) || a.domain.name.localeCompare(b.domain.name));
}

/** Attributes a list of these classes can show: the class's own and inherited ones. */
export function listableAttributes(cls: ClassView): AttrView[] {
	return cls.attributes.filter((a) => a.type !== 'longtext');
}

/** Columns a list starts with before the user chooses: the first few attributes. */
export function defaultColumns(cls: ClassView): string[] {
	return listableAttributes(cls)
		.slice(0, 4)
		.map((a) => a.name);
}

/** An attribute of any of the given classes by name (a superclass list spans its subclasses). */
export function attrNamed(classes: ClassView[], name: string): AttrView | undefined {
	const n = name.toLowerCase();
	for (const c of classes) {
		const a = c.attributes.find((x) => x.name.toLowerCase() === n);
		if (a) return a;
	}
	return undefined;
}

export function classLabel(model: ModelView | undefined, name: string): string {
	return (model && findClass(model, name)?.label) || name;
}

/** Attributes a list of a class can show as columns: its own and inherited ones, then its subclasses'. */
export function columnChoices(model: ModelView, cls: ClassView): AttrView[] {
	const seen = new Set<string>();
	const out: AttrView[] = [];
	for (const c of [cls, ...descendants(model, cls.name).filter((d) => d.name !== cls.name)]) {
		for (const a of listableAttributes(c)) {
			if (seen.has(a.name.toLowerCase())) continue;
			seen.add(a.name.toLowerCase());
			out.push(a);
		}
	}
	return out;
}
