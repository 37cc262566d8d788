/**
 * The log viewer's contracts (files on agent hosts, the journal, pattern rules, the changed-file watch), shared
 * by browser, server and agent. See docs/logs.md.
 *
 *  1. the signed task kinds: `logs-open` opens a read session on one file (or the journal) for a limited time;
 *     `logs-config` hands an agent the pattern rules and watch list of its device groups;
 *  2. the link events between server and agent (merged into protocol/agent.ts), and the report kinds by which
 *     matches and file changes reach the server once, even across link drops;
 *  3. the shapes the `logs` tRPC router returns, and the /desktop events (merged into protocol/desktop.ts).
 *
 * Lines are text. The browser renders them as text, never as HTML.
 */
import { z } from 'zod';
import { checkRegex, REGEX_MAX_LENGTH } from '../logs/regex';

export { checkRegex, compileRegex, REGEX_MAX_LENGTH, type RegexCheck } from '../logs/regex';

/** The longest line returned whole; longer ones are cut (`truncated`). */
export const LOG_MAX_LINE_CHARS = 16 * 1024;
/** Lines per read or follow answer. */
export const LOG_MAX_LINES = 2000;
/** Filter rows (hits and their context) per answer. */
export const LOG_MAX_FILTER_ROWS = 2000;
export const LOG_MAX_CONTEXT = 50;
/** Include and exclude patterns per filter. */
export const LOG_MAX_PATTERNS = 8;
/** A follow call may wait this long for new lines. */
export const LOG_MAX_WAIT_MS = 10_000;

export const LOG_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type LogSeverity = (typeof LOG_SEVERITIES)[number];

/** The security-relevant files every agent watches unless its groups say otherwise. */
export const DEFAULT_WATCHED_FILES = [
	'/etc/passwd',
	'/etc/shadow',
	'/etc/group',
	'/etc/sudoers',
	'/etc/sudoers.d/*',
	'/etc/ssh/sshd_config',
	'/root/.ssh/authorized_keys',
	'/etc/crontab',
	'/etc/cron.d/*',
	'/var/spool/cron/crontabs/*',
	'/etc/hosts'
] as const;

const absPath = z
	.string()
	.min(2, 'A path is absolute, such as /var/log/syslog')
	.max(4096)
	.startsWith('/', 'A path is absolute, such as /var/log/syslog')
	.refine((s) => !s.includes('\0'), 'A path must not contain a NUL character');

/** A watch-list entry: an absolute path, `*` and `?` allowed in its last part. */
export const watchPathSchema = absPath.refine(
	(s) => !/[*?[]/.test(s.slice(0, s.lastIndexOf('/'))),
	'Wildcards (* ?) are allowed only in the file name, such as /etc/cron.d/*'
);

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

// ------------------------------------------------------------------ 1. signed task kinds

/** Task kind `logs-open`: the agent opens a read session on one source until `ttlMs` runs out. */
export const logsOpenArgsSchema = z.strictObject({
	sessionId: z.uuid(),
	source: logSourceSchema,
	ttlMs: z
		.number()
		.int()
		.min(10_000)
		.max(24 * 3600_000)
		.default(3600_000)
});
export type LogsOpenArgs = z.output<typeof logsOpenArgsSchema>;

export const logRuleSpecSchema = z.strictObject({
	id: z.number().int().positive(),
	name: z.string().min(1).max(100),
	pattern: z.string().min(1).max(REGEX_MAX_LENGTH),
	ignoreCase: z.boolean(),
	severity: z.enum(LOG_SEVERITIES)
});
export type LogRuleSpec = z.infer<typeof logRuleSpecSchema>;

/** Task kind `logs-config`: the pattern rules (for the agent's log files) and the watch list of its groups. */
export const logsConfigArgsSchema = z.strictObject({
	/** SHA-256 of the rest, so the agent can say which config it holds. */
	version: z.string().regex(/^[0-9a-f]{64}$/),
	rules: z.array(logRuleSpecSchema).max(500),
	watch: z.array(watchPathSchema).max(1000)
});
export type LogsConfigArgs = z.output<typeof logsConfigArgsSchema>;

// ------------------------------------------------------------------ 2. the link (server ↔ agent)

/** What an agent tells the server after each hello: what it may read and which config it holds. */
export interface LogsAgentHello {
	/** Its `logs` and `files` allow lists as configured (globs as written). */
	allow: string[];
	/** `journalctl` is there and the config allows the journal. */
	journal: boolean;
	/** The `logs-config` version it holds; null before the first. */
	configVersion: string | null;
}

/** An operation on an open session (the server sends it after the `logs-open` task succeeded). */
export type LogsOp =
	| { op: 'read'; from: LogPosition; count: number; before: number }
	| { op: 'follow'; after: LogCursor; max: number; waitMs: number }
	| { op: 'filter'; filter: LogFilter; from: LogCursor | null; limit: number }
	| { op: 'stat' }
	| { op: 'close' };

export type LogsOpResult =
	| ({ ok: true; op: 'read' } & LogReadResult)
	| ({ ok: true; op: 'follow' } & LogFollowResult)
	| ({ ok: true; op: 'filter' } & LogFilterResult)
	| { ok: true; op: 'stat'; index: LogIndexState | null }
	| { ok: true; op: 'close' }
	/** `unknown-session`: the agent restarted or the session expired (the server opens a new one). */
	| { ok: false; code: 'unknown-session' | 'refused' | 'failed'; error: string };

/** A file an allow-list glob currently names, as `logs:list` returns it. */
export interface LogFileEntry {
	path: string;
	size: number;
	mtime: string;
}

export interface LogsAgentToServerEvents {
	/** After each accepted hello. The ack may ask for the current config (the server then signs one). */
	'logs:hello': (m: LogsAgentHello, ack: (a: { ok: boolean }) => void) => void;
}

export interface LogsServerToAgentEvents {
	'logs:op': (m: { sessionId: string } & LogsOp, ack: (r: LogsOpResult) => void) => void;
	/** The files the allow lists name right now (globs expanded; only what the agent may read). */
	'logs:list': (ack: (r: { files: LogFileEntry[]; journal: boolean }) => void) => void;
}

// ------------------------------------------------------------------ reports (buffered, applied once)

const line = z.string().max(LOG_MAX_LINE_CHARS);

/** `log-match`: a pattern rule matched a line of a log file (`count` > 1: further matches were folded in). */
export const logMatchReportSchema = z.object({
	ruleId: z.number().int().positive(),
	source: logSourceSchema,
	/** Byte offset of the first matching line (files). */
	offset: z.number().int().min(0).nullable(),
	line,
	/** Matches this report stands for (the first plus the ones folded in while rate-limited). */
	count: z.number().int().min(1),
	lastLine: line.optional(),
	at: z.iso.datetime({ offset: true })
});
export type LogMatchReport = z.infer<typeof logMatchReportSchema>;

export const fileStateSchema = z.object({
	exists: z.boolean(),
	size: z.number().int().min(0).nullable(),
	sha256: z.string().max(64).nullable(),
	mtime: z.string().max(40).nullable(),
	mode: z.string().max(10).nullable().optional(),
	uid: z.number().int().nullable().optional(),
	gid: z.number().int().nullable().optional()
});
export type FileState = z.infer<typeof fileStateSchema>;

/** `file-change`: a watched file appeared, changed or disappeared. */
export const fileChangeReportSchema = z.object({
	path: absPath,
	/** null: the agent saw it for the first time (a new file matching a watched glob). */
	before: fileStateSchema.nullable(),
	after: fileStateSchema,
	/** Which of size, sha256, mtime, exists, mode, owner changed. */
	changed: z.array(z.string().max(20)).max(10),
	at: z.iso.datetime({ offset: true })
});
export type FileChangeReport = z.infer<typeof fileChangeReportSchema>;

/** Spread into REPORT_BODIES (protocol/agent.ts). */
export const LOGS_REPORT_BODIES = {
	'log-match': logMatchReportSchema,
	'file-change': fileChangeReportSchema
} as const;

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
