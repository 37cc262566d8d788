import { z } from 'zod';

/**
 * Shared consoles: one persistent pipe per console, run by the agent of the device, joined by many
 * browsers in one Socket.IO room. Three contracts live here, shared by browser, server and agent:
 *
 *  1. the signed task kinds that open and close a pipe (args validated by the agent);
 *  2. the link events between server and agent that carry a pipe's bytes (merged into protocol/agent.ts);
 *  3. the /desktop events between browser and server (merged into protocol/desktop.ts).
 *
 * Bytes travel as Uint8Array (Socket.IO sends binary frames; Node receives Buffers, browsers ArrayBuffers
 * or Uint8Arrays). Output carries a per-pipe sequence number so nothing is lost or applied twice across
 * reconnects and server restarts.
 */

export const CONSOLE_KINDS = ['shell', 'ssh', 'telnet', 'serial'] as const;
export type ConsoleKind = (typeof CONSOLE_KINDS)[number];

export const CONSOLE_KIND_LABELS: Record<ConsoleKind, string> = {
	shell: 'Shell on the agent host',
	ssh: 'SSH from the agent',
	telnet: 'Telnet from the agent',
	serial: 'Serial port on the agent host'
};

/** Console names: what operators type ("db1", "db1:serial"). */
export const consoleName = z
	.string()
	.trim()
	.min(1, 'Give the console a name')
	.max(100, 'A console name is at most 100 characters')
	.regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'A console name may contain letters, digits and . _ : @ -');

const hostName = z
	.string()
	.trim()
	.min(1, 'The host is required')
	.max(253)
	.regex(/^[A-Za-z0-9.:_[\]-]+$/, 'The host is a name or an IP address');
const port = z.number().int().min(1, 'Ports are 1–65535').max(65535, 'Ports are 1–65535');
const unixUser = z
	.string()
	.regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/, 'A user name is lower-case letters, digits, _ . -');

/**
 * A credential sealed for one agent: ECDH (P-256, the agent's certificate key) + HKDF-SHA256 + AES-256-GCM.
 * Only that agent can open it; the server keeps the plaintext only in its vault (encrypted at rest).
 */
export const sealedSecretSchema = z.strictObject({
	/** Ephemeral public key, uncompressed point, base64url. */
	epk: z.string().max(200),
	iv: z.string().max(32),
	ct: z.string().max(64 * 1024),
	tag: z.string().max(32)
});
export type SealedSecret = z.infer<typeof sealedSecretSchema>;

/** What a pipe connects to. Stored with the console on the server; sent to the agent in the signed task. */
export const consoleTargetSchema = z.discriminatedUnion('kind', [
	z.strictObject({
		kind: z.literal('shell'),
		/** Run the shell as this user (the agent must be root to switch); default: the agent's own user. */
		user: unixUser.optional(),
		/** Program to run instead of the user's login shell. */
		command: z.string().max(4096).optional(),
		args: z.array(z.string().max(4096)).max(64).optional()
	}),
	z.strictObject({
		kind: z.literal('ssh'),
		host: hostName,
		port: port.default(22),
		username: z.string().min(1, 'The SSH user is required').max(64),
		/** SHA-256 fingerprint of the host key (base64, as ssh-keygen -l prints it, without "SHA256:"); pinned on first use when empty. */
		hostKeySha256: z.string().max(64).optional()
	}),
	z.strictObject({ kind: z.literal('telnet'), host: hostName, port: port.default(23) }),
	z.strictObject({
		kind: z.literal('serial'),
		path: z
			.string()
			.regex(
				/^\/dev\/[A-Za-z0-9._/-]+$/,
				'A serial port is a device path such as /dev/ttyS0 or /dev/ttyUSB0'
			),
		baud: z
			.number()
			.int()
			.refine((b) => SERIAL_BAUDS.includes(b as (typeof SERIAL_BAUDS)[number]), 'Unsupported baud rate')
			.default(9600),
		dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
		parity: z.enum(['none', 'even', 'odd']).default('none'),
		stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
		flowControl: z.enum(['none', 'rtscts', 'xonxoff']).default('none')
	})
]);
export type ConsoleTarget = z.output<typeof consoleTargetSchema>;
export type ConsoleTargetInput = z.input<typeof consoleTargetSchema>;

export const SERIAL_BAUDS = [
	300, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600
] as const;

export const TERMINAL_MIN = { cols: 10, rows: 2 } as const;
export const TERMINAL_MAX = { cols: 1000, rows: 500 } as const;
const cols = z.number().int().min(TERMINAL_MIN.cols).max(TERMINAL_MAX.cols);
const rows = z.number().int().min(TERMINAL_MIN.rows).max(TERMINAL_MAX.rows);

// ------------------------------------------------------------------ 1. signed task kinds

/** Task kind `console-open`: start (or re-attach to) a pipe. The task succeeds once the pipe is open. */
export const consoleOpenArgsSchema = z.strictObject({
	consoleId: z.number().int().positive(),
	/** Names this pipe on the link; a new one each time the server (re)opens the console. */
	pipeId: z.uuid(),
	target: consoleTargetSchema,
	/** ssh: the password or private key (PEM), sealed for this agent. */
	secret: sealedSecretSchema.optional(),
	cols: cols.default(80),
	rows: rows.default(24),
	/** Output the agent keeps until the server confirms it stored it (sent again after a reconnect). */
	retainBytes: z
		.number()
		.int()
		.min(64 * 1024)
		.max(256 * 1024 * 1024)
		.default(8 * 1024 * 1024),
	/** When the target drops (ssh/telnet closed, shell exited, serial unplugged): reopen with backoff. */
	reconnect: z
		.strictObject({
			enabled: z.boolean().default(true),
			baseMs: z.number().int().min(100).max(60_000).default(1000),
			capMs: z.number().int().min(1000).max(600_000).default(30_000)
		})
		.default({ enabled: true, baseMs: 1000, capMs: 30_000 })
});
export type ConsoleOpenArgs = z.output<typeof consoleOpenArgsSchema>;
export type ConsoleOpenArgsInput = z.input<typeof consoleOpenArgsSchema>;

/** Task kind `console-close`: end a pipe for good (the console was stopped or deleted). */
export const consoleCloseArgsSchema = z.strictObject({ pipeId: z.uuid() });
export type ConsoleCloseArgs = z.output<typeof consoleCloseArgsSchema>;

// ------------------------------------------------------------------ 2. the link (server ↔ agent)

/** Where a pipe stands, as the agent sees it. */
export const PIPE_STATES = ['connecting', 'open', 'retrying', 'closed', 'failed'] as const;
export type PipeState = (typeof PIPE_STATES)[number];

export const pipeStateMessage = z.object({
	pipeId: z.uuid(),
	consoleId: z.number().int().positive(),
	state: z.enum(PIPE_STATES),
	/** One line for the room's status: "ssh: connection refused; retrying in 4 s". */
	message: z.string().max(500).optional(),
	/** The next output sequence number the agent will use. */
	nextSeq: z.number().int().nonnegative(),
	at: z.number().int().nonnegative()
});
export type PipeStateMessage = z.infer<typeof pipeStateMessage>;

export const pipeOutputMessage = z.object({
	pipeId: z.uuid(),
	/** Per pipe, from 1, with no gaps: the server stores each number once. */
	seq: z.number().int().positive(),
	/** Epoch ms when the agent read the bytes. */
	at: z.number().int().nonnegative(),
	data: z.instanceof(Uint8Array)
});
export type PipeOutputMessage = z.infer<typeof pipeOutputMessage>;

/** After each hello the agent lists its live pipes; the server says from where to resend and what to close. */
export interface PipeInventoryItem {
	pipeId: string;
	consoleId: number;
	state: PipeState;
	/** The oldest sequence number the agent still holds (not yet confirmed stored). */
	retainedFrom: number;
	nextSeq: number;
}
export interface PipeInventoryAck {
	/** Resend output after `storedSeq` (the highest number the server has stored). */
	resume: { pipeId: string; storedSeq: number }[];
	/** Pipes the server no longer wants (console deleted or replaced): close them. */
	close: string[];
}

/** Max bytes in one output message (the agent splits larger reads). */
export const PIPE_MAX_CHUNK_BYTES = 64 * 1024;
/**
 * Pipe output one agent link may have in flight: sent by the agent and not yet reported received by the server
 * (`pipe:received`). Without it the kernel's socket buffers (several MiB each way on a fast link) fill during a
 * flood, and a keystroke's echo waits behind all of them; with it, what waits is held by the agent, where the
 * pipe's flow control pauses the target. At 25 MiB/s, 512 KiB is 20 ms; over a 100 ms round trip it allows
 * 5 MiB/s per link, plenty for consoles.
 */
export const PIPE_OUTPUT_WINDOW_BYTES = 512 * 1024;
/** The server reports what it received each time this much more arrived (a fraction of the window). */
export const PIPE_RECEIVED_STEP_BYTES = 64 * 1024;
/** Max bytes of one input message from a browser (a larger paste is refused with a message). */
export const CONSOLE_MAX_INPUT_BYTES = 64 * 1024;

export interface ConsoleAgentToServerEvents {
	'pipe:state': (m: PipeStateMessage) => void;
	'pipe:output': (m: PipeOutputMessage) => void;
	'pipe:inventory': (items: PipeInventoryItem[], ack: (a: PipeInventoryAck) => void) => void;
}

export interface ConsoleServerToAgentEvents {
	/** Keystrokes and pastes, already checked and logged by the server. */
	'pipe:input': (m: { pipeId: string; data: Uint8Array }) => void;
	'pipe:resize': (m: { pipeId: string; cols: number; rows: number }) => void;
	/** serial: a line break; ssh: the "break" channel request; telnet: IAC BRK; shell: nothing. */
	'pipe:break': (m: { pipeId: string }) => void;
	/** The server has stored output up to `seq`: the agent may forget it. */
	'pipe:stored': (m: { pipeId: string; seq: number }) => void;
	/**
	 * Bytes of pipe output (the `data` of every `pipe:output`) the server has received on this link since it
	 * connected, sent every PIPE_RECEIVED_STEP_BYTES: the agent's window (PIPE_OUTPUT_WINDOW_BYTES) moves on.
	 */
	'pipe:received': (m: { bytes: number }) => void;
}

// ------------------------------------------------------------------ 3. the desktop (browser ↔ server)

export type ConsoleMode = 'view' | 'write';

export interface ConsoleParticipant {
	userId: number;
	username: string;
	mode: ConsoleMode;
	/** How many of this user's windows are in the room. */
	windows: number;
}

/** What the room shows in its status line. */
export interface ConsoleRoomState {
	consoleId: number;
	/** 'offline': the device's agent is not connected; 'stopped': nobody asked for the pipe. */
	state: PipeState | 'offline' | 'stopped';
	message: string | null;
	participants: ConsoleParticipant[];
	/** One-writer consoles: who holds the keyboard (null: nobody). Others with write may request it. */
	writer: { userId: number; username: string } | null;
	oneWriter: boolean;
}

export type ConsoleJoinAck =
	| {
			ok: true;
			/** What this user may do here, from their grants on the device (the server enforces it). */
			mode: ConsoleMode;
			canBreak: boolean;
			room: ConsoleRoomState;
			/** The recent output (up to the console's scrollback size), then live `console:output` from `seq` + 1. */
			scrollback: Uint8Array;
			seq: number;
	  }
	| { ok: false; error: string };

export type ConsoleAck = { ok: true } | { ok: false; error: string };

export interface ConsoleClientEvents {
	'console:join': (m: { consoleId: number }, ack: (a: ConsoleJoinAck) => void) => void;
	'console:leave': (m: { consoleId: number }) => void;
	'console:input': (m: { consoleId: number; data: string }, ack?: (a: ConsoleAck) => void) => void;
	'console:resize': (m: { consoleId: number; cols: number; rows: number }) => void;
	'console:break': (m: { consoleId: number }, ack: (a: ConsoleAck) => void) => void;
	/** One-writer consoles: ask for, hand over (to userId), or give up the keyboard; `take` needs console.break. */
	'console:control': (
		m: { consoleId: number; action: 'request' | 'release' | 'handover' | 'take'; userId?: number },
		ack: (a: ConsoleAck) => void
	) => void;
	/** Round trip through the server, for the status line's latency. */
	'console:ping': (sentAt: number, ack: (sentAt: number) => void) => void;
}

export interface ConsoleServerEvents {
	'console:output': (m: { consoleId: number; seq: number; data: Uint8Array }) => void;
	'console:room': (r: ConsoleRoomState) => void;
	/** Someone asked this writer for the keyboard. */
	'console:control-request': (m: { consoleId: number; userId: number; username: string }) => void;
	/** This viewer fell behind (it stopped reading): frames were dropped; join again to resync. */
	'console:behind': (m: { consoleId: number; dropped: number }) => void;
	/** Something this user should know: "your input was dropped: you may only view this console". */
	'console:notice': (m: { consoleId: number; level: 'info' | 'warning' | 'error'; message: string }) => void;
}

/** The permission each browser event needs on the console's device. */
export const CONSOLE_EVENTS = {
	'console:join': 'console.view',
	'console:leave': 'console.view',
	'console:input': 'console.view',
	'console:resize': 'console.view',
	'console:break': 'console.break',
	'console:control': 'console.write',
	'console:ping': 'console.view'
} as const satisfies Record<keyof ConsoleClientEvents, string>;

/** The Socket.IO room of a console on /desktop (spans nodes through the PostgreSQL adapter). */
export function consoleRoom(consoleId: number): string {
	return `console:${consoleId}`;
}
