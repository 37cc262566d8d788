// The row every document hands the line list, and the interface the list reads documents through.
import type { LogLine } from '$protocol/logs';

export interface Row extends LogLine {
	/** Filtered views: this line matched (the others are context). */
	hit?: boolean;
	/** Filtered views with context: a new group starts here (a separator is drawn above). */
	gap?: boolean;
}

/** What the virtual line list needs from a document: how many rows, and each row once it is loaded. */
export interface RowModel {
	/** Rows there are (an estimate while a big file is still being counted). */
	readonly total: number;
	/** Bumped whenever loaded rows change, so the list re-reads the rows on screen. */
	readonly version: number;
	/** A loaded row, or undefined while it is being fetched. */
	row(i: number): Row | undefined;
	/** The list shows rows [from, to): fetch what is missing (and forget what is far away). */
	need(from: number, to: number): void;
}

export const PAGE = 200;

/** A line's label in the gutter: its number, or a dash where it is not known yet. */
export function lineLabel(r: Row | undefined): string {
	if (!r) return '';
	return r.n === null ? '·' : String(r.n);
}

/** Lines as one text, for export and print (a line cut by the server says so). */
export function rowsToText(rows: readonly Row[], withNumbers = false): string {
	let out = '';
	let prev: Row | undefined;
	for (const r of rows) {
		if (r.gap && prev) out += '--\n';
		const text = r.truncated ? `${r.text} [line cut]` : r.text;
		out += withNumbers && r.n !== null ? `${r.n}\t${text}\n` : `${text}\n`;
		prev = r;
	}
	return out;
}
