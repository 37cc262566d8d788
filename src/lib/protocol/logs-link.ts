// Between server and agent: the signed task kinds, the link events and the buffered reports (see logs.ts).
import { z } from 'zod';
import { REGEX_MAX_LENGTH } from '../logs/regex';
import { absPath, LOG_MAX_LINE_CHARS, LOG_SEVERITIES, watchPathSchema } from './logs-base';
import {
	logSourceSchema,
	type LogCursor,
	type LogFilter,
	type LogFilterResult,
	type LogFollowResult,
	type LogIndexState,
	type LogPosition,
	type LogReadResult
} from './logs-read';

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
