import { trpc } from '$lib/trpc';

export interface CiRef {
	id: number;
	name: string;
	class: string;
}

// Names of CIs that reference attributes point at, fetched once per page; concurrent look-ups go to the
// server in one batched request.
const cache = new Map<number, Promise<CiRef | null>>();

export function lookupCi(id: number): Promise<CiRef | null> {
	let p = cache.get(id);
	if (!p) {
		p = trpc.cmdb.list
			.query({ filters: [{ attr: 'id', op: '=', value: String(id) }], limit: 1 })
			.then((r) => (r.items[0] ? { id, name: r.items[0].name, class: r.items[0].class } : null));
		p.catch(() => cache.delete(id));
		cache.set(id, p);
	}
	return p;
}

/** After a CI is renamed or deleted. */
export function forgetCi(id: number): void {
	cache.delete(id);
}
