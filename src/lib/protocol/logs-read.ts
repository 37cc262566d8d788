// Reading a source: what is read, from where, the lines and cursors that come back, and filters (see logs.ts).
import { z } from 'zod';
import { checkRegex, REGEX_MAX_LENGTH } from '../logs/regex';
import { absPath, LOG_MAX_CONTEXT, LOG_MAX_PATTERNS } from './logs-base';

// ------------------------------------------------------------------ sources and positions

/** What is read: a file on the agent host (allowed by its `logs`/`files` config) or its systemd journal. */
export const logSourceSchema = z.discriminatedUnion('type', [
	z.strictObject({ type: z.literal('file'), path: absPath }),
	z.strictObject({ type: z.literal('journal') })
]);
export type LogSource = z.infer<typeof logSourceSchema>;

/** Where a read starts. `line` is 1-based; `offset` is a byte offset (the line holding it); `cursor`: journal. */
export const logPositionSchema = z.union([
	z.strictObject({ line: z.number().int().min(1) }),
	z.strictObject({ offset: z.number().int().min(0) }),
	z.strictObject({ end: z.literal(true) }),
	z.strictObject({ time: z.iso.datetime({ offset: true }) }),
	z.strictObject({ cursor: z.string().min(1).max(1000) })
]);
export type LogPosition = z.infer<typeof logPositionSchema>;

export interface LogLine {
	/** 1-based line number; null where it is not known yet (the index has not reached it) or for the journal. */
	n: number | null;
	/** Byte offset of the line's start in the file; null for the journal. */
	offset: number | null;
	text: string;
	/** The line was longer than LOG_MAX_LINE_CHARS and was cut. */
	truncated?: boolean;
	/** Journal: the entry's time (ISO) and cursor. */
	time?: string;
	cursor?: string;
}

/** How far the agent's line index has got: line numbers are exact up to `lines` (all of them once complete). */
export interface LogIndexState {
	size: number;
	/** Modification time (ISO). */
	mtime: string | null;
	indexedBytes: number;
	lines: number;
	complete: boolean;
}

/** Where to continue: a follow picks up after it; a filter scan continues from it. */
export const logCursorSchema = z.union([
	z.strictObject({
		offset: z.number().int().min(0),
		/** Line number of the line starting at `offset`, when known. */
		line: z.number().int().min(1).nullable(),
		/** File identity (device:inode) when the cursor was made: a different one means the file was rotated. */
		file: z.string().max(100).optional(),
		/** Filter scans: rows before this offset were already returned (context is not sent twice). */
		shown: z.number().int().min(0).optional()
	}),
	z.strictObject({ cursor: z.string().min(1).max(1000) })
]);
export type LogCursor = z.infer<typeof logCursorSchema>;

export interface LogReadResult {
	lines: LogLine[];
	index: LogIndexState | null;
	/** The last line returned is the last line there is (for now). */
	atEnd: boolean;
	/** Pass to `logs.follow` to get what comes after. */
	next: LogCursor;
}

export interface LogFollowResult {
	lines: LogLine[];
	next: LogCursor;
	/** The file was replaced or truncated since the cursor: `lines` start again at its beginning. */
	rotated: boolean;
	/** More lines were waiting than one answer carries: call again at once. */
	more: boolean;
	index: LogIndexState | null;
}

/** A row of a filtered view: a hit, or a line of context around one. Rows come in file order. */
export interface LogFilterRow extends LogLine {
	hit: boolean;
}

export interface LogFilterResult {
	rows: LogFilterRow[];
	hits: number;
	/** Bytes (files) scanned so far, of `index.size`: for a progress bar on big files. */
	scannedTo: number;
	/** The scan reached the end (for now); otherwise call again with `next`. */
	done: boolean;
	next: LogCursor | null;
	index: LogIndexState | null;
}

const patternList = z
	.array(z.string().min(1).max(REGEX_MAX_LENGTH))
	.max(LOG_MAX_PATTERNS, `At most ${LOG_MAX_PATTERNS} patterns`);

/** include: a line must match every one (AND); exclude: a line matching any one is left out. */
export const logFilterSchema = z
	.strictObject({
		include: patternList.default([]),
		exclude: patternList.default([]),
		ignoreCase: z.boolean().default(false),
		before: z.number().int().min(0).max(LOG_MAX_CONTEXT).default(0),
		after: z.number().int().min(0).max(LOG_MAX_CONTEXT).default(0)
	})
	.superRefine((f, ctx) => {
		for (const key of ['include', 'exclude'] as const)
			f[key].forEach((p, i) => {
				const c = checkRegex(p, f.ignoreCase ? 'i' : '');
				if (!c.ok) ctx.addIssue({ code: 'custom', path: [key, i], message: c.message });
			});
	});
export type LogFilter = z.output<typeof logFilterSchema>;
export type LogFilterInput = z.input<typeof logFilterSchema>;
