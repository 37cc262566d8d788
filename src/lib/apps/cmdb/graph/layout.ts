/**
 * Layered layout of an impact graph, left to right by level: what the CI depends on on the left, the CI
 * in the middle, what is affected if it fails on the right. Pure, so it is unit-tested (layout.spec.ts).
 */

export interface GraphNode {
	id: number;
	name: string;
	class: string;
	/** < 0: the root depends on it (upstream); > 0: affected when the root fails (downstream). */
	level: number;
	missing: boolean;
}

export interface GraphEdge {
	id: number;
	/** The dependent CI. */
	from: number;
	/** What it depends on. */
	to: number;
	domain: string;
	label: string;
}

export interface PlacedNode extends GraphNode {
	x: number;
	y: number;
}

export interface PlacedEdge extends GraphEdge {
	/** SVG path data, ending at the provider (the arrowhead). */
	d: string;
	/**
	 * An end sits behind other boxes of a wrapped level, reached along its row: drawn faint and without
	 * an arrowhead (a row of arrows would read as a chain), shown in full when either end is hovered.
	 */
	behind: boolean;
}

export interface LevelColumn {
	level: number;
	x: number;
	width: number;
	count: number;
}

export interface Layout {
	nodes: PlacedNode[];
	edges: PlacedEdge[];
	levels: LevelColumn[];
	width: number;
	height: number;
}

export const NODE_W = 184;
export const NODE_H = 46;
const ROW_GAP = 12;
const SUB_GAP = 20;
const LEVEL_GAP = 110;
/** Room above the nodes for the level headings. */
export const HEADER_H = 34;

export function compareNodes(a: GraphNode, b: GraphNode): number {
	return a.class.localeCompare(b.class) || a.name.localeCompare(b.name) || a.id - b.id;
}

/** Rows per sub-column for a level of n nodes: a tall level wraps into columns, keeping the whole roughly 16:10. */
export function rowsFor(n: number): number {
	return Math.max(12, Math.ceil(Math.sqrt(n * 2.4)));
}

export function layout(nodes: GraphNode[], edges: GraphEdge[]): Layout {
	const byLevel = new Map<number, GraphNode[]>();
	for (const n of nodes) byLevel.set(n.level, [...(byLevel.get(n.level) ?? []), n]);
	const levelNumbers = [...byLevel.keys()].sort((a, b) => a - b);

	const shape = levelNumbers.map((level) => {
		const members = byLevel.get(level)!.sort(compareNodes);
		const cols = Math.ceil(members.length / rowsFor(members.length));
		const rows = Math.ceil(members.length / cols);
		return { level, members, cols, rows, height: rows * (NODE_H + ROW_GAP) - ROW_GAP };
	});
	const height = Math.max(NODE_H, ...shape.map((s) => s.height));

	const placed: PlacedNode[] = [];
	const levels: LevelColumn[] = [];
	let x = 0;
	for (const s of shape) {
		const width = s.cols * NODE_W + (s.cols - 1) * SUB_GAP;
		levels.push({ level: s.level, x, width, count: s.members.length });
		const top = HEADER_H + (height - s.height) / 2;
		s.members.forEach((n, i) => {
			const col = Math.floor(i / s.rows);
			const row = i % s.rows;
			// The first sub-column is the one next to the root: leftmost downstream, rightmost upstream.
			const slot = s.level < 0 ? s.cols - 1 - col : col;
			placed.push({ ...n, x: x + slot * (NODE_W + SUB_GAP), y: top + row * (NODE_H + ROW_GAP) });
		});
		x += width + LEVEL_GAP;
	}

	const at = new Map(placed.map((n) => [n.id, n]));
	const span = new Map(levels.map((l) => [l.level, { left: l.x, right: l.x + l.width }]));
	const placedEdges: PlacedEdge[] = [];
	for (const e of edges) {
		const from = at.get(e.from);
		const to = at.get(e.to);
		if (!from || !to) continue;
		const fromSpan = span.get(from.level)!;
		const toSpan = span.get(to.level)!;
		const behind =
			from.level !== to.level &&
			(from.x !== (toSpan.right < fromSpan.left ? fromSpan.left : fromSpan.right - NODE_W) ||
				to.x !== (toSpan.right < fromSpan.left ? toSpan.right - NODE_W : toSpan.left));
		placedEdges.push({ ...e, d: edgePath(from, to, fromSpan, toSpan), behind });
	}
	return {
		nodes: placed,
		edges: placedEdges,
		levels,
		width: Math.max(0, x - LEVEL_GAP),
		height: height + HEADER_H
	};
}

interface Span {
	left: number;
	right: number;
}

/**
 * A curve from the dependent to what it depends on; the arrowhead sits at the provider's side. A box
 * behind others in a wrapped level is reached along its row from its level's edge: that straight part
 * runs behind the boxes in front, so edges never cross boxes and the edges of one row share one curve.
 */
export function edgePath(
	from: { x: number; y: number },
	to: { x: number; y: number },
	fromSpan: Span = { left: from.x, right: from.x + NODE_W },
	toSpan: Span = { left: to.x, right: to.x + NODE_W }
): string {
	const fy = from.y + NODE_H / 2;
	const ty = to.y + NODE_H / 2;
	const r = (v: number) => Math.round(v * 10) / 10;
	let ax: number, bx: number, cx: number, dx: number;
	if (toSpan.right < fromSpan.left) {
		// The usual case: the provider's level is to the left.
		[ax, bx, cx, dx] = [from.x, fromSpan.left, toSpan.right, to.x + NODE_W];
	} else if (fromSpan.right < toSpan.left) {
		[ax, bx, cx, dx] = [from.x + NODE_W, fromSpan.right, toSpan.left, to.x];
	} else {
		// One level (a relation between two CIs the same distance away): bulge out to the left.
		const lx = fromSpan.left - (36 + Math.min(120, Math.abs(ty - fy) * 0.25));
		return `M${r(from.x)},${r(fy)} L${r(fromSpan.left)},${r(fy)} C${r(lx)},${r(fy)} ${r(lx)},${r(ty)} ${r(fromSpan.left)},${r(ty)} L${r(to.x)},${r(ty)}`;
	}
	const c = Math.max(30, Math.abs(cx - bx) / 2) * Math.sign(cx - bx);
	const head = ax === bx ? '' : ` L${r(bx)},${r(fy)}`;
	const tail = cx === dx ? '' : ` L${r(dx)},${r(ty)}`;
	return `M${r(ax)},${r(fy)}${head} C${r(bx + c)},${r(fy)} ${r(cx - c)},${r(ty)} ${r(cx)},${r(ty)}${tail}`;
}

/** Scale and offset that fit a box of w×h into a viewport, with a margin; never zooms in past 1.25. */
export function fitView(w: number, h: number, vw: number, vh: number, margin = 24) {
	if (w <= 0 || h <= 0 || vw <= 0 || vh <= 0) return { x: margin, y: margin, k: 1 };
	const k = Math.min(1.25, (vw - 2 * margin) / w, (vh - 2 * margin) / h);
	const kk = Math.max(0.02, k);
	return { x: (vw - w * kk) / 2, y: (vh - h * kk) / 2, k: kk };
}

export function levelHeading(level: number): string {
	if (level === 0) return 'This CI';
	const steps = Math.abs(level);
	const away = steps === 1 ? 'directly' : `${steps} steps away`;
	return level < 0 ? `Depends on · ${away}` : `Affected · ${away}`;
}

/** A stable hue per class, for the stripe on each box. */
export function classHue(name: string): number {
	let h = 0;
	for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
	return h % 360;
}

export function truncate(s: string, max: number): string {
	return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
