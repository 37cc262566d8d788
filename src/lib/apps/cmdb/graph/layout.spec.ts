import { describe, expect, it } from 'vitest';
import { edgePath, fitView, layout, NODE_H, NODE_W, rowsFor, type GraphNode } from './layout';

const node = (id: number, level: number, cls = 'Device', name = `n${id}`): GraphNode => ({
	id,
	name,
	class: cls,
	level,
	missing: false
});

describe('impact graph layout', () => {
	it('puts upstream levels left of the root and affected levels right of it', () => {
		const g = layout(
			[node(1, 0), node(2, -1), node(3, -2), node(4, 1), node(5, 2)],
			[
				{ id: 10, from: 1, to: 2, domain: 'runsOn', label: 'runs on' },
				{ id: 11, from: 4, to: 1, domain: 'uses', label: 'uses' }
			]
		);
		const x = (id: number) => g.nodes.find((n) => n.id === id)!.x;
		expect(x(3)).toBeLessThan(x(2));
		expect(x(2)).toBeLessThan(x(1));
		expect(x(1)).toBeLessThan(x(4));
		expect(x(4)).toBeLessThan(x(5));
		expect(g.levels.map((l) => l.level)).toEqual([-2, -1, 0, 1, 2]);
		expect(g.edges).toHaveLength(2);
	});

	it('sorts a level by class, then name', () => {
		const g = layout(
			[node(1, 0), node(2, 1, 'Service', 'b'), node(3, 1, 'Computer', 'z'), node(4, 1, 'Service', 'a')],
			[]
		);
		const level1 = g.nodes.filter((n) => n.level === 1).sort((a, b) => a.y - b.y);
		expect(level1.map((n) => n.id)).toEqual([3, 4, 2]);
	});

	it('wraps a large level into sub-columns without overlapping boxes', () => {
		const nodes = [node(0, 0), ...Array.from({ length: 500 }, (_, i) => node(i + 1, 1, 'Device', `d${i}`))];
		const g = layout(nodes, []);
		const rows = rowsFor(500);
		expect(rows).toBeLessThan(500);
		const level1 = g.nodes.filter((n) => n.level === 1);
		expect(new Set(level1.map((n) => n.x)).size).toBe(Math.ceil(500 / rows));
		const seen = new Set(level1.map((n) => `${n.x},${n.y}`));
		expect(seen.size).toBe(500);
		// Roughly landscape, so "fit" keeps boxes readable.
		expect(g.width / g.height).toBeGreaterThan(0.8);
		expect(g.width / g.height).toBeLessThan(4);
	});

	it('reaches boxes behind others in a wrapped level along their row', () => {
		const n = 60;
		const nodes = [node(0, 0), ...Array.from({ length: n }, (_, i) => node(i + 1, -1, 'Storage', `s${i}`))];
		const edges = nodes.slice(1).map((p) => ({ id: p.id, from: 0, to: p.id, domain: 'd', label: 'uses' }));
		const g = layout(nodes, edges);
		const up = g.nodes.filter((x) => x.level === -1);
		const xs = [...new Set(up.map((x) => x.x))].sort((a, b) => a - b);
		expect(xs.length).toBeGreaterThan(1);
		// The first nodes (sorted) sit in the sub-column next to the root, i.e. the rightmost one.
		expect(up.find((x) => x.name === 's0')!.x).toBe(xs.at(-1));
		const far = up.find((x) => x.x === xs[0])!;
		const d = g.edges.find((e) => e.to === far.id)!.d;
		const right = g.levels.find((l) => l.level === -1)!;
		expect(g.edges.find((e) => e.to === far.id)!.behind).toBe(true);
		expect(g.edges.find((e) => e.to === up.find((x) => x.name === 's0')!.id)!.behind).toBe(false);
		// Curve to the level's right edge, then straight along the row to the box.
		expect(d).toMatch(
			new RegExp(`${right.x + right.width},${far.y + NODE_H / 2} L${far.x + NODE_W},${far.y + NODE_H / 2}$`)
		);
	});

	it('drops edges whose ends are not in the graph', () => {
		const g = layout([node(1, 0)], [{ id: 1, from: 1, to: 99, domain: 'x', label: 'x' }]);
		expect(g.edges).toEqual([]);
	});

	it('draws an edge from the dependent to the provider on its left', () => {
		const d = edgePath({ x: 400, y: 0 }, { x: 0, y: 100 });
		expect(d.startsWith(`M400,${NODE_H / 2} C`)).toBe(true);
		expect(d.endsWith(`${NODE_W},${100 + NODE_H / 2}`)).toBe(true);
	});

	it('fits a graph into the viewport, centred, never magnified past 1.25', () => {
		const v = fitView(1000, 500, 520, 300, 10);
		expect(v.k).toBeCloseTo(0.5);
		expect(v.x).toBeCloseTo(10);
		expect(v.y).toBeCloseTo(25);
		expect(fitView(10, 10, 1000, 1000).k).toBe(1.25);
	});
});
