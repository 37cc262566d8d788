import { z } from 'zod';
import { checkRegex, REGEX_MAX_LENGTH } from '../logs/regex';
import type { ConsoleAck, ConsoleMode, ConsoleRoomState } from './consoles';

/**
 * Gang connect and macros, browser ↔ server (merged into protocol/desktop.ts).
 *
 * Gang: one window joined to up to GANG_MAX_CONSOLES consoles at once, each with a small scrollback; input
 * typed there goes to every console the user may write to now, the others are listed with the reason.
 * Output arrives as the consoles' own `console:output` events (one per console), so rooms, participants,
 * "you fell behind" and the access log work exactly as for a single console.
 *
 * Macros: lines to type, "wait for regex" steps and delays, kept in a library shared per role, played by the
 * server into one console or a gang (it goes on when the browser closes) and logged as the player's input.
 */

export const GANG_MAX_CONSOLES = 200;
/** What a gang join sends of each console's recent output (a single console's join sends its full scrollback). */
export const GANG_SCROLLBACK_BYTES = 4096;

/** Why input typed in a gang does not go to a console right now. */
export const GANG_SKIP_REASONS = [
	'not-found',
	'no-view',
	'no-write',
	'not-writer',
	'offline',
	'stopped'
] as const;
export type GangSkipReason = (typeof GANG_SKIP_REASONS)[number];

export interface GangSkip {
	reason: GangSkipReason;
	/** One line for the list: "admin holds the keyboard", "the agent is not connected". */
	message: string;
}

export interface GangMember {
	consoleId: number;
	/** Empty when the console does not exist or the user may not view it. */
	name: string;
	deviceName: string;
	/** null: not joined (not found, or no console.view). */
	mode: ConsoleMode | null;
	room: ConsoleRoomState | null;
	/** Why gang input skips it now; null: input goes there. */
	skip: GangSkip | null;
	/** Up to GANG_SCROLLBACK_BYTES of recent output, then live `console:output` after `seq`. */
	scrollback: Uint8Array;
	seq: number;
}

/**
 * Why gang input would skip a console now, from what its room shows (the server decides again on every input):
 * null when the user may type there.
 */
export function gangSkip(
	mode: ConsoleMode | null,
	room: ConsoleRoomState | null,
	userId: number
): GangSkip | null {
	if (!mode || !room) return { reason: 'no-view', message: 'You may not view this console.' };
	if (mode !== 'write')
		return { reason: 'no-write', message: 'You may only view this console (no console.write).' };
	if (room.oneWriter && room.writer?.userId !== userId)
		return {
			reason: 'not-writer',
			message: room.writer
				? `${room.writer.username} holds the keyboard (one writer at a time).`
				: 'One writer at a time: request control first.'
		};
	if (room.state === 'stopped')
		return { reason: 'stopped', message: room.message ?? 'The console is stopped: start it first.' };
	if (room.state === 'offline' || room.state === 'closed' || room.state === 'failed')
		return { reason: 'offline', message: room.message ?? 'The console is not connected.' };
	return null;
}

export type GangOpenAck = { ok: true; members: GangMember[] } | { ok: false; error: string };

export type GangInputAck =
	{ ok: true; sent: number; skipped: ({ consoleId: number } & GangSkip)[] } | { ok: false; error: string };

// ------------------------------------------------------------------ macros

export const MACRO_MAX_STEPS = 500;
export const MACRO_MAX_LINE = 4096;
export const MACRO_MAX_WAIT_MS = 60 * 60_000;
export const MACRO_DEFAULT_TIMEOUT_MS = 30_000;

const ms = (what: string) =>
	z.number().int().min(0, `${what} is at least 0 ms`).max(MACRO_MAX_WAIT_MS, `${what} is at most an hour`);

export const macroStepSchema = z.discriminatedUnion('type', [
	/** Type a line (Enter appended unless `enter` is false). */
	z.strictObject({
		type: z.literal('send'),
		text: z
			.string()
			.max(MACRO_MAX_LINE, `A line is at most ${MACRO_MAX_LINE} characters`)
			.regex(/^[^\r\n]*$/, 'A line has no line breaks: make each line a step of its own'),
		enter: z.boolean().default(true)
	}),
	/** Wait until a line of output (after the step began) matches, or stop the macro after `timeoutMs`. */
	z
		.strictObject({
			type: z.literal('wait'),
			pattern: z.string().min(1, 'Type a pattern to wait for').max(REGEX_MAX_LENGTH),
			ignoreCase: z.boolean().default(false),
			timeoutMs: ms('A timeout').min(100, 'A timeout is at least 100 ms').default(MACRO_DEFAULT_TIMEOUT_MS)
		})
		.superRefine((s, ctx) => {
			const c = checkRegex(s.pattern, s.ignoreCase ? 'i' : '');
			if (!c.ok) ctx.addIssue({ code: 'custom', path: ['pattern'], message: c.message });
		}),
	z.strictObject({ type: z.literal('delay'), ms: ms('A delay') })
]);
export type MacroStep = z.output<typeof macroStepSchema>;
export type MacroStepInput = z.input<typeof macroStepSchema>;

export const macroInputSchema = z.strictObject({
	name: z.string().trim().min(1, 'Give the macro a name').max(100, 'A macro name is at most 100 characters'),
	description: z.string().max(2000, 'A description is at most 2,000 characters').default(''),
	steps: z
		.array(macroStepSchema)
		.min(1, 'A macro needs at least one step')
		.max(MACRO_MAX_STEPS, `A macro has at most ${MACRO_MAX_STEPS} steps`),
	/** Roles whose members may play it (the owner and consoles.manage may always edit it). */
	sharedRoleIds: z.array(z.number().int().positive()).max(100).default([])
});
export type MacroInput = z.input<typeof macroInputSchema>;

export interface MacroView {
	id: number;
	name: string;
	description: string;
	steps: MacroStep[];
	owner: { id: number; username: string } | null;
	sharedRoles: { id: number; name: string }[];
	/** The caller owns it or has consoles.manage. */
	canEdit: boolean;
	createdAt: string;
	updatedAt: string;
}

/** Where one console's playback stands. */
export const MACRO_CONSOLE_STATES = [
	'queued',
	'sending',
	'waiting',
	'delaying',
	'matched',
	'done',
	'timed-out',
	'stopped',
	'failed',
	'skipped'
] as const;
export type MacroConsoleState = (typeof MACRO_CONSOLE_STATES)[number];
export const MACRO_FINAL_STATES: readonly MacroConsoleState[] = [
	'done',
	'timed-out',
	'stopped',
	'failed',
	'skipped'
];

export interface MacroConsoleProgress {
	consoleId: number;
	name: string;
	state: MacroConsoleState;
	/** 1-based step being run (0 before the first; the last step's number once done). */
	step: number;
	steps: number;
	/** "waiting for /READY/", "matched: READY", "timed out after 5 s waiting for /READY/", why it failed. */
	message: string;
	/**
	 * What happened, one line per change ("2/3 matched /READY/: READY"): in `macro:progress` the lines since the
	 * last report (states shorter than a report's interval are not lost), in a run the last MACRO_LOG_LINES.
	 */
	log: string[];
}

export const MACRO_LOG_LINES = 50;

export type MacroRunStateName = 'running' | 'done' | 'stopped' | 'failed';

export interface MacroRun {
	runId: string;
	macroId: number;
	macroName: string;
	userId: number;
	username: string;
	startedAt: string;
	state: MacroRunStateName;
	consoles: MacroConsoleProgress[];
}

export type MacroPlayAck = { ok: true; run: MacroRun } | { ok: false; error: string };

// ------------------------------------------------------------------ events

export interface GangClientEvents {
	/** Join these consoles (small scrollback each); again with one id to resync it after `console:behind`. */
	'gang:open': (m: { consoleIds: number[] }, ack: (a: GangOpenAck) => void) => void;
	/** Input for every console this socket joined (or only `consoleIds` of them). */
	'gang:input': (m: { data: string; consoleIds?: number[] }, ack?: (a: GangInputAck) => void) => void;
	'macro:play': (m: { macroId: number; consoleIds: number[] }, ack: (a: MacroPlayAck) => void) => void;
	/** Stop a run (the player's own, or any with consoles.manage), on whichever node runs it. */
	'macro:stop': (m: { runId: string }, ack: (a: ConsoleAck) => void) => void;
	/** The caller's runs still going, on every node. */
	'macro:runs': (ack: (runs: MacroRun[]) => void) => void;
}

export interface GangServerEvents {
	/** To the player's `user:<id>` room: a run started or ended (with every console's state). */
	'macro:run': (r: MacroRun) => void;
	/** To the player's `user:<id>` room: consoles whose state changed (batched, a few times a second). */
	'macro:progress': (m: { runId: string; consoles: MacroConsoleProgress[] }) => void;
}

/** The permission each browser event needs; the checks per console's device follow in src/server/consoles. */
export const GANG_EVENTS = {
	'gang:open': 'console.view',
	'gang:input': 'console.write',
	'macro:play': 'console.write',
	// The player may stop (or look at) their run even after losing the grant that let them start it.
	'macro:stop': 'desktop.use',
	'macro:runs': 'desktop.use'
} as const satisfies Record<keyof GangClientEvents, string>;
