// Highlighting of filter matches inside a line. The result is a list of plain-text segments the component
// renders as text nodes (never HTML), each marked with the filter that matched it.

export interface Segment {
	text: string;
	/** Index of the include filter that matched this piece, or -1 for plain text. */
	mark: number;
}

/** Matches past this many characters are not looked for: a megabyte-long line must not stall the view. */
export const HIGHLIGHT_LIMIT = 20_000;
const MAX_MARKS = 500;

/** Compiles patterns for highlighting; the ones that do not compile are skipped (the filter bar says why). */
export function highlighters(patterns: readonly string[], caseSensitive: boolean): (RegExp | null)[] {
	return patterns.map((p) => {
		try {
			return new RegExp(p, caseSensitive ? 'g' : 'gi');
		} catch {
			return null;
		}
	});
}

/** Splits `text` at every match of `res`; where matches overlap, the one starting first wins. */
export function segments(text: string, res: readonly (RegExp | null)[]): Segment[] {
	const ranges: [number, number, number][] = [];
	const head = text.length > HIGHLIGHT_LIMIT ? text.slice(0, HIGHLIGHT_LIMIT) : text;
	res.forEach((re, i) => {
		if (!re) return;
		re.lastIndex = 0;
		let m: RegExpExecArray | null;
		let n = 0;
		while ((m = re.exec(head)) !== null && n++ < MAX_MARKS) {
			if (m[0].length === 0) {
				re.lastIndex++;
				continue;
			}
			ranges.push([m.index, m.index + m[0].length, i]);
		}
	});
	if (ranges.length === 0) return [{ text, mark: -1 }];
	ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
	const out: Segment[] = [];
	let at = 0;
	for (const [start, end, mark] of ranges) {
		if (start < at) continue;
		if (start > at) out.push({ text: text.slice(at, start), mark: -1 });
		out.push({ text: text.slice(start, end), mark });
		at = end;
	}
	if (at < text.length) out.push({ text: text.slice(at), mark: -1 });
	return out;
}
