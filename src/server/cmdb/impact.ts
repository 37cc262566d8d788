// Impact analysis: from one CI, what it depends on (upstream) and what depends on it (downstream),
// following relations transitively up to a depth. Each domain says which side is affected when the
// other fails (`dependent`): by default the source depends on the target (a computer on its storage,
// a room on what it contains being usable is the room's concern).
import { inArray, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { cmdbCis, cmdbRelations } from '../db/schema';
import { loadModel } from './model';
import { getCiRow } from './cis';

export interface ImpactNode {
	id: number;
	name: string;
	class: string;
	/** Steps from the starting CI: negative upstream (it depends on them), positive downstream (affected). */
	level: number;
	missing: boolean;
}

export interface ImpactEdge {
	id: number;
	/** The CI that depends on `to`: when `to` fails, `from` is affected. */
	from: number;
	to: number;
	domain: string;
	label: string;
}

export interface ImpactGraph {
	root: number;
	nodes: ImpactNode[];
	edges: ImpactEdge[];
	truncated: boolean;
}

export const MAX_DEPTH = 8;
export const MAX_NODES = 500;

export async function impactGraph(db: Db, ciId: number, depth = 3): Promise<ImpactGraph> {
	const m = await loadModel(db);
	const root = await getCiRow(db, ciId);
	depth = Math.max(1, Math.min(MAX_DEPTH, Math.floor(depth)));
	const nodes = new Map<number, ImpactNode>([
		[
			root.id,
			{
				id: root.id,
				name: root.name,
				class: m.classById(root.classId).name,
				level: 0,
				missing: !!root.missingSince
			}
		]
	]);
	const edges = new Map<number, ImpactEdge>();
	let truncated = false;

	// Walk both directions separately, so "depends on" and "affected by" stay distinct.
	for (const direction of [1, -1] as const) {
		let frontier = [root.id];
		for (let step = 1; step <= depth && frontier.length; step++) {
			const rels = await db
				.select()
				.from(cmdbRelations)
				.where(or(inArray(cmdbRelations.sourceId, frontier), inArray(cmdbRelations.targetId, frontier)));
			const next: number[] = [];
			for (const r of rels) {
				const d = m.domains.get(r.domainId);
				if (!d || d.dependent === 'none') continue;
				const dependentId = d.dependent === 'source' ? r.sourceId : r.targetId;
				const providerId = d.dependent === 'source' ? r.targetId : r.sourceId;
				// Downstream (+1): from a provider in the frontier to the CIs depending on it.
				const fromFrontier = direction === 1 ? providerId : dependentId;
				const reached = direction === 1 ? dependentId : providerId;
				if (!frontier.includes(fromFrontier)) continue;
				edges.set(r.id, {
					id: r.id,
					from: dependentId,
					to: providerId,
					domain: d.name,
					label: d.dependent === 'source' ? d.forwardLabel : d.reverseLabel
				});
				if (!nodes.has(reached)) {
					if (nodes.size >= MAX_NODES) {
						truncated = true;
						continue;
					}
					nodes.set(reached, { id: reached, name: '', class: '', level: step * direction, missing: false });
					next.push(reached);
				}
			}
			frontier = next;
		}
	}
	const ids = [...nodes.keys()];
	const rows = await db
		.select({
			id: cmdbCis.id,
			name: cmdbCis.name,
			classId: cmdbCis.classId,
			missingSince: cmdbCis.missingSince
		})
		.from(cmdbCis)
		.where(inArray(cmdbCis.id, ids));
	for (const r of rows) {
		const n = nodes.get(r.id)!;
		n.name = r.name;
		n.class = m.classById(r.classId).name;
		n.missing = !!r.missingSince;
	}
	const keep = new Set(nodes.keys());
	return {
		root: root.id,
		nodes: [...nodes.values()],
		edges: [...edges.values()].filter((e) => keep.has(e.from) && keep.has(e.to)),
		truncated
	};
}
