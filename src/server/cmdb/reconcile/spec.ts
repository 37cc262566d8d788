// The spec resolved against the model: class, key attribute and child domains checked once, before any
// record is read, so a wrong spec is refused before anything is written.
import { UserError } from '../../errors';
import type { ChangeContext } from '../cis';
import type { AttrDef, Model } from '../model';
import { ValidationError } from '../validation';
import type { Child, ReconcileSpec, Resolved } from './types';

export function resolve(m: Model, ctx: ChangeContext, spec: ReconcileSpec): Resolved {
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
		attrs,
		singleConnection: false
	};
}
