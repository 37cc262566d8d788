// Scroll arithmetic for the virtual line list. A file of gigabytes has more lines than a browser can give
// pixels (Chromium caps an element near 33 million px), so the scrollbar's track is a scaled picture of the
// whole file: its position picks the first visible line, and only the lines on screen are ever rendered.

/** Tallest spacer we give the browser; well under every engine's limit. */
export const MAX_SCROLL_PX = 8_000_000;

export interface Geometry {
	/** Lines in the source (or rows in the filtered view). */
	total: number;
	/** Height of one unwrapped line in px. */
	rowHeight: number;
	/** Height of the visible area in px. */
	viewHeight: number;
}

/** Whole lines that fit in the view (at least one). */
export function visibleRows(g: Geometry): number {
	return Math.max(1, Math.floor(g.viewHeight / g.rowHeight));
}

/** The highest first line (0-based) that still fills the view to its bottom. */
export function maxTop(g: Geometry): number {
	return Math.max(0, g.total - visibleRows(g));
}

/** Height of the spacer that gives the scrollbar its length. */
export function spacerHeight(g: Geometry): number {
	return Math.min(MAX_SCROLL_PX, Math.max(g.viewHeight, g.total * g.rowHeight));
}

/** True when one pixel of scrollbar is more than one line's worth (wheel and keys must then move by lines). */
export function isScaled(g: Geometry): boolean {
	return g.total * g.rowHeight > MAX_SCROLL_PX;
}

export function clampTop(top: number, g: Geometry): number {
	return Math.max(0, Math.min(maxTop(g), Math.round(top)));
}

/** The first line (0-based) shown for a scroll position. */
export function topFromScroll(scrollTop: number, g: Geometry): number {
	const range = spacerHeight(g) - g.viewHeight;
	if (range <= 0) return 0;
	if (!isScaled(g)) return clampTop(scrollTop / g.rowHeight, g);
	return clampTop((scrollTop / range) * maxTop(g), g);
}

/** The scroll position that shows `top` as the first line. */
export function scrollFromTop(top: number, g: Geometry): number {
	const range = spacerHeight(g) - g.viewHeight;
	if (range <= 0) return 0;
	const t = clampTop(top, g);
	if (!isScaled(g)) return t * g.rowHeight;
	const m = maxTop(g);
	return m === 0 ? 0 : Math.round((t / m) * range);
}

/** First line that puts `line` (0-based) in view, moving as little as possible; centred when it jumps far. */
export function revealTop(line: number, top: number, g: Geometry): number {
	const rows = visibleRows(g);
	if (line >= top && line < top + rows) return top;
	return clampTop(line - Math.floor(rows / 3), g);
}

/** Whether the view shows the last line (follow mode resumes there). */
export function atBottom(top: number, g: Geometry): boolean {
	return top >= maxTop(g);
}
