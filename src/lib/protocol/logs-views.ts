// What the desktop sees: events, bookmarks, pattern rules, watch lists and devices (see logs.ts).
import { z } from 'zod';
import { checkRegex, REGEX_MAX_LENGTH } from '../logs/regex';
import { absPath, LOG_MAX_LINE_CHARS, LOG_SEVERITIES, type LogSeverity } from './logs-base';
import type { FileState } from './logs-link';

// ------------------------------------------------------------------ 3. what the desktop sees

export type LogEventKind = 'pattern' | 'file-change';

/** Where a pattern event's line is: a file, the journal, or a console's access log. */
export type LogEventSource =
	| { type: 'file'; path: string; offset: number | null }
	| { type: 'journal' }
	| { type: 'console'; consoleId: number; consoleName: string | null };

export interface LogEventView {
	id: number;
	kind: LogEventKind;
	deviceId: number | null;
	deviceName: string | null;
	ruleId: number | null;
	ruleName: string | null;
	severity: LogSeverity;
	source: LogEventSource | null;
	/** Pattern: the (first) matching line. File change: the path. */
	line: string;
	/** Matches this event stands for (a flood is folded into one event and counted). */
	count: number;
	lastLine: string | null;
	lastAt: string;
	/** File change: what it was and what it is. */
	change: { path: string; before: FileState | null; after: FileState; changed: string[] } | null;
	at: string;
	ackedAt: string | null;
	ackedBy: string | null;
	/** A desktop link (`/?app=logs&…`) that opens the viewer at the line (or the file). */
	link: string;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogsClientEvents {}

export interface LogsServerEvents {
	/**
	 * To the `user:<id>` room of every user who may read logs on the event's device: a new pattern or
	 * file-change event, or more matches folded into one (same id, higher count).
	 */
	'logs:event': (e: LogEventView) => void;
}

/** The permission each browser event needs (global, or on the device it names). */
export const LOGS_EVENTS = {} as const satisfies Record<keyof LogsClientEvents, string>;

// ------------------------------------------------------------------ bookmarks, rules, watch lists

const note = z.string().max(2000, 'A note is at most 2,000 characters').default('');
const tag = z
	.string()
	.trim()
	.max(50, 'A tag is at most 50 characters')
	.regex(/^[^\s<>]*$/, 'A tag is one word (no spaces)')
	.default('');
const anchor = z.string().max(LOG_MAX_LINE_CHARS).default('');

/** A bookmark on a line of a file or the journal on a device, or of a console's access log. */
export const logBookmarkInputSchema = z.discriminatedUnion('type', [
	z.strictObject({
		type: z.literal('file'),
		deviceId: z.number().int().positive(),
		path: absPath,
		line: z.number().int().min(1),
		offset: z.number().int().min(0),
		anchor,
		note,
		tag
	}),
	z.strictObject({
		type: z.literal('journal'),
		deviceId: z.number().int().positive(),
		cursor: z.string().min(1).max(1000),
		anchor,
		note,
		tag
	}),
	z.strictObject({
		type: z.literal('access-log'),
		consoleId: z.number().int().positive(),
		line: z.number().int().min(1),
		anchor,
		note,
		tag
	})
]);
export type LogBookmarkInput = z.input<typeof logBookmarkInputSchema>;

export const logBookmarkUpdateSchema = z.strictObject({
	id: z.number().int().positive(),
	note: z.string().max(2000, 'A note is at most 2,000 characters').optional(),
	tag: tag.optional()
});

export interface LogBookmarkView {
	id: number;
	type: 'file' | 'journal' | 'access-log';
	deviceId: number | null;
	deviceName: string | null;
	path: string | null;
	consoleId: number | null;
	line: number | null;
	offset: number | null;
	cursor: string | null;
	anchor: string;
	note: string;
	tag: string;
	createdBy: string;
	createdAt: string;
	updatedAt: string;
	/** `/?app=logs&bookmark=<id>`: opens the viewer at the line. */
	link: string;
}

export const logRuleInputSchema = z
	.strictObject({
		groupId: z.number().int().positive('Choose a device group'),
		name: z.string().trim().min(1, 'Give the rule a name').max(100, 'A rule name is at most 100 characters'),
		pattern: z.string().min(1, 'Type a pattern').max(REGEX_MAX_LENGTH),
		ignoreCase: z.boolean().default(false),
		severity: z.enum(LOG_SEVERITIES).default('warning'),
		onConsoles: z.boolean().default(true),
		onFiles: z.boolean().default(true),
		enabled: z.boolean().default(true)
	})
	.superRefine((r, ctx) => {
		const c = checkRegex(r.pattern, r.ignoreCase ? 'i' : '', { rule: true });
		if (!c.ok) ctx.addIssue({ code: 'custom', path: ['pattern'], message: c.message });
	});
export type LogRuleInput = z.input<typeof logRuleInputSchema>;

export interface LogRuleView {
	id: number;
	groupId: number;
	groupName: string;
	name: string;
	pattern: string;
	ignoreCase: boolean;
	severity: LogSeverity;
	onConsoles: boolean;
	onFiles: boolean;
	enabled: boolean;
	createdBy: string;
	createdAt: string;
	updatedAt: string;
}

export interface LogWatchListView {
	/** What a device watches when none of its groups has a list. */
	defaults: string[];
	groups: {
		groupId: number;
		groupName: string;
		/** null: this group has no list of its own. */
		paths: string[] | null;
		updatedBy: string | null;
		updatedAt: string | null;
	}[];
}

/** A device whose logs this user may read, as the viewer's source picker lists it. */
export interface LogDeviceView {
	deviceId: number;
	deviceName: string;
	agentId: string | null;
	online: boolean;
	/** The agent's allow lists as it reported them (globs as written); empty before its first report. */
	allow: string[];
	journal: boolean;
	reportedAt: string | null;
}
