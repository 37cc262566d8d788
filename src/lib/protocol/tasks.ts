import { z } from 'zod';
import { showArgsSchema, type ShowArgs } from './show';
import {
	consoleCloseArgsSchema,
	consoleOpenArgsSchema,
	type ConsoleCloseArgs,
	type ConsoleOpenArgs
} from './consoles';
import { logsConfigArgsSchema, logsOpenArgsSchema, type LogsConfigArgs, type LogsOpenArgs } from './logs';

// The `show` kind's tables live in show.ts; they are part of this contract.
export * from './show';

/**
 * Signed tasks: the only way anything runs on an agent.
 *
 * The server signs an envelope with Ed25519 over its canonical JSON (sorted keys, no whitespace);
 * the agent verifies it with the key pinned at enrolment, checks audience, lifetime, nonce and its
 * local allowlist, and reports a status. Shared by server, agent and browser: zod only, no Node APIs.
 */

export const TASK_ENVELOPE_VERSION = 1;

/** Default envelope lifetime when the server does not say otherwise. */
export const TASK_DEFAULT_LIFETIME_MS = 5 * 60_000;
/** No envelope may live longer than this; the agent refuses longer ones. */
export const TASK_MAX_LIFETIME_MS = 24 * 60 * 60_000;
/** Clock difference tolerated between server and agent, both ways. */
export const TASK_MAX_CLOCK_SKEW_MS = 30_000;
/** Upper bound for a signed task on the wire (JSON text or canonical bytes). */
export const TASK_MAX_SIGNED_BYTES = 4 * 1024 * 1024;

/** Kinds this protocol version defines. The kind field is an open string so later kinds fit. */
export const KNOWN_TASK_KINDS = [
	'inventory',
	'show',
	'exec',
	'console-open',
	'console-close',
	'logs-open',
	'logs-config'
] as const;
export type KnownTaskKind = (typeof KNOWN_TASK_KINDS)[number];
/**
 * Kinds a user may start directly (desktop dialog, `fleetdesk task run`). The console kinds are started only
 * by the console broker, which checks the user's console grants first.
 */
export const USER_TASK_KINDS = ['inventory', 'show', 'exec'] as const satisfies readonly KnownTaskKind[];
export type UserTaskKind = (typeof USER_TASK_KINDS)[number];
export function isUserTaskKind(kind: string): kind is UserTaskKind {
	return (USER_TASK_KINDS as readonly string[]).includes(kind);
}
export type TaskKind = KnownTaskKind | (string & {});

export const taskKindSchema = z
	.string()
	.regex(
		/^[a-z][a-z0-9-]{0,31}$/,
		'A task kind is 1–32 lower-case letters, digits or -, starting with a letter'
	);

// ---------------------------------------------------------------------------------------------
// Per-kind arguments

export const EXEC_MAX_STDIN_BYTES = 1024 * 1024;
export const EXEC_MIN_TIMEOUT_MS = 1_000;
export const EXEC_MAX_TIMEOUT_MS = 60 * 60_000;
export const EXEC_DEFAULT_TIMEOUT_MS = 60_000;
export const EXEC_DEFAULT_OUTPUT_CAP_BYTES = 64 * 1024;
export const EXEC_MAX_OUTPUT_CAP_BYTES = 10 * 1024 * 1024;

/** UTF-8 length without Buffer or TextEncoder allocations (works in the browser too). */
export function utf8Length(s: string): number {
	let n = 0;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c < 0x80) n += 1;
		else if (c < 0x800) n += 2;
		else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
			const d = s.charCodeAt(i + 1);
			if (d >= 0xdc00 && d <= 0xdfff) {
				n += 4;
				i++;
			} else n += 3;
		} else n += 3;
	}
	return n;
}

const NO_NUL = (s: string) => !s.includes('\0');

export const execArgsSchema = z.strictObject({
	/** Program to start: a path or a name looked up in PATH. Never run through a shell. */
	command: z
		.string()
		.min(1, 'The command is required')
		.max(4096, 'The command is at most 4096 characters')
		.refine(NO_NUL, 'The command must not contain a NUL character'),
	/** Arguments passed as they are: `;`, `|` and `$(…)` mean nothing here. */
	args: z
		.array(
			z
				.string()
				.max(128 * 1024)
				.refine(NO_NUL, 'Arguments must not contain a NUL character')
		)
		.max(4096)
		.default([]),
	stdin: z
		.string()
		.refine((s) => utf8Length(s) <= EXEC_MAX_STDIN_BYTES, 'Standard input is at most 1 MB')
		.optional(),
	timeoutMs: z
		.number()
		.int()
		.min(EXEC_MIN_TIMEOUT_MS, 'The timeout is at least 1 second')
		.max(EXEC_MAX_TIMEOUT_MS, 'The timeout is at most 1 hour')
		.default(EXEC_DEFAULT_TIMEOUT_MS),
	/** Bytes kept per stream (stdout and stderr each); the rest is read and dropped. */
	outputCapBytes: z
		.number()
		.int()
		.min(0)
		.max(EXEC_MAX_OUTPUT_CAP_BYTES, 'The output cap is at most 10 MiB')
		.default(EXEC_DEFAULT_OUTPUT_CAP_BYTES),
	/** Working directory, absolute. Default: the agent's own working directory. */
	cwd: z
		.string()
		.max(4096)
		.regex(/^(\/|[A-Za-z]:[\\/])/, 'The working directory must be an absolute path')
		.refine(NO_NUL, 'The working directory must not contain a NUL character')
		.optional(),
	/** Variables added to (or overriding) the agent's environment. */
	env: z
		.record(
			z.string(),
			z
				.string()
				.max(32 * 1024)
				.refine(NO_NUL, 'Environment values must not contain a NUL character')
		)
		.refine(
			(e) => Object.keys(e).every((k) => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k)),
			'Environment variable names are letters, digits and _, not starting with a digit'
		)
		.refine((e) => Object.keys(e).length <= 256, 'At most 256 environment variables')
		.optional()
});
export type ExecArgs = z.output<typeof execArgsSchema>;
export type ExecArgsInput = z.input<typeof execArgsSchema>;

/** Filled in by the inventory work; nothing to say yet. */
export const inventoryArgsSchema = z.strictObject({});
export type InventoryArgs = z.output<typeof inventoryArgsSchema>;

/** Argument schema per kind. A kind without an entry here cannot be signed or run. */
export const TASK_ARGS_SCHEMAS = {
	inventory: inventoryArgsSchema,
	show: showArgsSchema,
	exec: execArgsSchema,
	'console-open': consoleOpenArgsSchema,
	'console-close': consoleCloseArgsSchema,
	'logs-open': logsOpenArgsSchema,
	'logs-config': logsConfigArgsSchema
} satisfies Record<KnownTaskKind, z.ZodType>;

export interface TaskArgsByKind {
	inventory: InventoryArgs;
	show: ShowArgs;
	exec: ExecArgs;
	'console-open': ConsoleOpenArgs;
	'console-close': ConsoleCloseArgs;
	'logs-open': LogsOpenArgs;
	'logs-config': LogsConfigArgs;
}
export type TaskArgsInputByKind = {
	[K in KnownTaskKind]: z.input<(typeof TASK_ARGS_SCHEMAS)[K]>;
};

export function isKnownTaskKind(kind: string): kind is KnownTaskKind {
	return (KNOWN_TASK_KINDS as readonly string[]).includes(kind);
}

// ---------------------------------------------------------------------------------------------
// JSON values and canonical serialisation

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_JSON_DEPTH = 64;

/** True when `value` is plain JSON (finite numbers, no undefined, no cycles) nested at most 64 deep. */
export function isJsonValue(value: unknown, maxDepth = MAX_JSON_DEPTH): value is JsonValue {
	const stack: [unknown, number][] = [[value, 0]];
	while (stack.length) {
		const [v, depth] = stack.pop()!;
		if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
		if (typeof v === 'number') {
			if (!Number.isFinite(v)) return false;
			continue;
		}
		if (typeof v !== 'object' || depth >= maxDepth) return false;
		if (Array.isArray(v)) {
			for (const item of v) stack.push([item, depth + 1]);
			continue;
		}
		const proto = Object.getPrototypeOf(v);
		if (proto !== Object.prototype && proto !== null) return false;
		for (const item of Object.values(v as Record<string, unknown>)) stack.push([item, depth + 1]);
	}
	return true;
}

/**
 * Deterministic JSON: object keys sorted by UTF-16 code units, no whitespace. Object members whose
 * value is undefined are left out, as JSON.stringify does, so the server's object and the agent's
 * parsed copy give the same bytes. Throws on anything JSON cannot carry faithfully (NaN, Infinity,
 * undefined in arrays, functions, class instances, nesting deeper than 64, hence also cycles).
 */
export function canonicalJson(value: unknown): string {
	return write(value, 0);

	function write(v: unknown, depth: number): string {
		if (v === null || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
		if (typeof v === 'number') {
			if (!Number.isFinite(v)) throw new TypeError('canonicalJson: numbers must be finite');
			return JSON.stringify(v);
		}
		if (typeof v !== 'object') throw new TypeError(`canonicalJson: cannot encode a ${typeof v}`);
		if (depth >= MAX_JSON_DEPTH) throw new TypeError('canonicalJson: nested too deeply');
		if (Array.isArray(v)) return '[' + v.map((item) => write(item, depth + 1)).join(',') + ']';
		const proto = Object.getPrototypeOf(v);
		if (proto !== Object.prototype && proto !== null)
			throw new TypeError('canonicalJson: only plain objects can be encoded');
		const obj = v as Record<string, unknown>;
		const keys = Object.keys(obj)
			.filter((k) => obj[k] !== undefined)
			.sort();
		return '{' + keys.map((k) => JSON.stringify(k) + ':' + write(obj[k], depth + 1)).join(',') + '}';
	}
}

// ---------------------------------------------------------------------------------------------
// Envelope

const base64url = (bytes: number) => {
	const len = Math.ceil((bytes * 4) / 3);
	return z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${len}}$`), `Expected ${bytes} bytes as base64url`);
};

export const taskEnvelopeSchema = z
	.strictObject({
		v: z.literal(TASK_ENVELOPE_VERSION),
		id: z.uuid(),
		aud: z.string().min(1).max(128),
		kind: taskKindSchema,
		args: z.unknown().refine((a) => isJsonValue(a), 'args must be plain JSON'),
		iat: z.number().int().nonnegative(),
		exp: z.number().int().nonnegative(),
		/** 128 random bits. */
		nonce: base64url(16)
	})
	.refine((e) => e.exp > e.iat, { message: 'exp must be after iat', path: ['exp'] });

export interface TaskEnvelope<K extends TaskKind = TaskKind> {
	v: typeof TASK_ENVELOPE_VERSION;
	id: string;
	aud: string;
	kind: K;
	args: K extends KnownTaskKind ? TaskArgsByKind[K] : JsonValue;
	iat: number;
	exp: number;
	nonce: string;
}

/** The wire form: the envelope and an Ed25519 signature (base64url) over canonicalJson(envelope). */
export interface SignedTask<K extends TaskKind = TaskKind> {
	envelope: TaskEnvelope<K>;
	sig: string;
}

export const signedTaskSchema = z.strictObject({
	envelope: taskEnvelopeSchema,
	/** Ed25519 signatures are 64 bytes. */
	sig: base64url(64)
});

// ---------------------------------------------------------------------------------------------
// Status reports

export const TASK_STATES = ['queued', 'running', 'succeeded', 'failed', 'refused', 'timed-out'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const FINAL_TASK_STATES = ['succeeded', 'failed', 'refused', 'timed-out'] as const;
export type FinalTaskState = (typeof FINAL_TASK_STATES)[number];

/** Why an agent refused a task, in the order the agent checks. */
export const TASK_REFUSAL_REASONS = [
	'malformed',
	'bad-signature',
	'wrong-audience',
	'lifetime-too-long',
	'not-yet-valid',
	'expired',
	'replayed',
	'replay-cache-full',
	'replay-cache-lost',
	'replay-cache-unwritable',
	'kind-not-allowed',
	'unknown-kind',
	'bad-args'
] as const;
export type TaskRefusalReason = (typeof TASK_REFUSAL_REASONS)[number];

export const TASK_REFUSAL_LABELS: Record<TaskRefusalReason, string> = {
	malformed: 'The task was not a well-formed signed envelope',
	'bad-signature': 'The signature did not match the server key pinned at enrolment',
	'wrong-audience': 'The task was addressed to another agent',
	'not-yet-valid': 'The task was issued in the future (check the clocks)',
	expired: 'The task had expired (check the clocks, or start it again)',
	'lifetime-too-long': 'The task was valid for longer than 24 hours',
	replayed: 'The task had already been received (replay)',
	'replay-cache-full': 'The agent has too many recent tasks on record; try again later',
	'replay-cache-lost': 'The agent lost its replay record and only accepts tasks issued after it restarted',
	'replay-cache-unwritable': "The agent could not record the task's nonce on disk (check its directory)",
	'kind-not-allowed': "The agent's configuration does not allow this kind of task",
	'unknown-kind': 'The agent does not know this kind of task (upgrade the agent)',
	'bad-args': 'The task arguments were not valid for its kind'
};

/** Captured output of one stream, cut at the task's output cap. */
export const taskOutputSchema = z.object({
	text: z.string(),
	/** True when the stream produced more than the cap; `bytes` says how much. */
	truncated: z.boolean(),
	bytes: z.number().int().nonnegative()
});
export type TaskOutput = z.output<typeof taskOutputSchema>;

const taskId = z.string().max(128);
const epochMs = z.number().int().nonnegative();

export const taskStatusSchema = z.discriminatedUnion('state', [
	z.object({ taskId, state: z.literal('queued'), at: epochMs }),
	z.object({
		taskId,
		state: z.literal('running'),
		startedAt: epochMs,
		/** Output since the previous running report (live progress); the final report has all of it. */
		stdoutDelta: z.string().optional(),
		stderrDelta: z.string().optional()
	}),
	z.object({
		/** Null when the envelope was too malformed to name its task. */
		taskId: taskId.nullable(),
		state: z.literal('refused'),
		reason: z.enum(TASK_REFUSAL_REASONS),
		message: z.string(),
		at: epochMs
	}),
	z.object({
		taskId,
		state: z.enum(['succeeded', 'failed', 'timed-out']),
		startedAt: epochMs,
		finishedAt: epochMs,
		durationMs: z.number().nonnegative(),
		/** exec: the exit code, or null when the process was killed by a signal or never started. */
		exitCode: z.number().int().nullable().optional(),
		signal: z.string().nullable().optional(),
		stdout: taskOutputSchema.optional(),
		stderr: taskOutputSchema.optional(),
		/** Structured result (show: { table, rows }; inventory: the report). */
		result: z.unknown().optional(),
		/** What went wrong, in one sentence, when the task failed without an exit code. */
		error: z.string().optional()
	})
]);
export type TaskStatus = z.output<typeof taskStatusSchema>;
export type RunningTaskStatus = Extract<TaskStatus, { state: 'running' }>;
export type RefusedTaskStatus = Extract<TaskStatus, { state: 'refused' }>;
export type FinishedTaskStatus = Extract<TaskStatus, { state: 'succeeded' | 'failed' | 'timed-out' }>;
