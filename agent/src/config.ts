// `fleetdesk-agent run --config FILE`: a JSON file. Every field is optional; see docs/agents.md.
import fs from 'node:fs';
import { z } from 'zod';
import { DEFAULT_ALLOWED_KINDS } from './tasks/allowlist';
import { CONSOLE_KINDS } from '../../src/lib/protocol/consoles';

const unixUser = z
	.string()
	.regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/, 'a user name is lower-case letters, digits, _ . -');
const DEFAULT_TASKS = [...DEFAULT_ALLOWED_KINDS];
const DEFAULT_SERIAL_PORTS = ['/dev/ttyS*', '/dev/ttyUSB*', '/dev/ttyACM*', '/dev/serial/by-id/*'];

/** Console pipes (modules/consoles): which kinds this host serves and to what. See docs/agents.md. */
const consolesSchema = z
	.object({
		/** Console kinds this host opens; `shell` (a PTY on this host) only when listed. */
		allow: z.array(z.enum(CONSOLE_KINDS)).default(['ssh', 'telnet', 'serial']),
		/** Pipes open at once; a console-open past it fails. */
		maxPipes: z.number().int().min(1).max(1000).default(32),
		shell: z
			.object({
				/** The user shells run as when the console names none (the agent must be root to switch); null: the agent's own user. */
				user: unixUser.nullable().default(null),
				/** Other users a console may name. */
				allowUsers: z.array(unixUser).default([])
			})
			.strict()
			.default({ user: null, allowUsers: [] }),
		serial: z
			.object({
				/** Serial ports a console may open: paths or globs (`*` and `?` within one path segment). */
				ports: z
					.array(z.string().startsWith('/dev/', 'serial ports are under /dev/'))
					.default(DEFAULT_SERIAL_PORTS)
			})
			.strict()
			.default({ ports: DEFAULT_SERIAL_PORTS })
	})
	.strict()
	.default({
		allow: ['ssh', 'telnet', 'serial'],
		maxPipes: 32,
		shell: { user: null, allowUsers: [] },
		serial: { ports: DEFAULT_SERIAL_PORTS }
	});

export const agentConfigSchema = z
	.object({
		/** How often the agent tells the server it is alive (the link also pings on its own). */
		heartbeatSeconds: z.number().int().min(5).max(3600).default(30),
		/** Resource sampling interval (used by the metrics module). */
		metricsSeconds: z.number().int().min(5).max(3600).default(60),
		/** Reconnect delays: exponential from baseMs, capped at capMs, each a random share of that ("full jitter"). */
		reconnect: z
			.object({
				baseMs: z.number().int().min(100).max(60_000).default(1000),
				capMs: z.number().int().min(1000).max(3_600_000).default(60_000)
			})
			.strict()
			.default({ baseMs: 1000, capMs: 60_000 }),
		/** What the agent keeps while disconnected; past either bound the oldest report is dropped (and counted). */
		buffer: z
			.object({
				maxMessages: z.number().int().min(10).max(100_000).default(1000),
				maxBytes: z
					.number()
					.int()
					.min(64 * 1024)
					.max(512 * 1024 * 1024)
					.default(5 * 1024 * 1024)
			})
			.strict()
			.default({ maxMessages: 1000, maxBytes: 5 * 1024 * 1024 }),
		/** Task kinds this host allows (checked by the task runner before anything runs). `exec` only if listed. */
		tasks: z
			.object({ allow: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).default(DEFAULT_TASKS) })
			.strict()
			.default({ allow: DEFAULT_TASKS }),
		consoles: consolesSchema,
		/** Files the agent may watch and logs it may tail (used by the file and log modules). */
		files: z.array(z.string().startsWith('/', 'file paths must be absolute')).default([]),
		logs: z.array(z.string().startsWith('/', 'log paths must be absolute')).default([]),
		/** The agent's own log; unset means stderr (the journal under systemd). */
		logFile: z.string().startsWith('/', 'logFile must be an absolute path').nullable().default(null),
		debug: z.boolean().default(false),

		// ---- files module: log viewer, pattern rules, changed-file watch (agent/src/modules/files, docs/logs.md)
		filesModule: z
			.object({
				/** Let the server read the systemd journal (through journalctl) when it is there. */
				journal: z.boolean().default(true),
				journalctl: z.string().min(1).default('journalctl'),
				/** Watch the files the server lists for this host's groups (default: security-relevant ones). */
				watch: z.boolean().default(true),
				watchSeconds: z.number().int().min(1).max(3600).default(5),
				/** Run the server's pattern rules on new lines of the files in `logs`, looking this often. */
				rules: z.boolean().default(true),
				tailMs: z.number().int().min(200).max(60_000).default(1000)
			})
			.strict()
			.default({
				journal: true,
				journalctl: 'journalctl',
				watch: true,
				watchSeconds: 5,
				rules: true,
				tailMs: 1000
			})
	})
	.strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export function loadAgentConfig(file?: string): AgentConfig {
	if (!file) return agentConfigSchema.parse({});
	let raw: unknown;
	try {
		raw = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		throw new Error(`Cannot read the config file ${file}: ${(e as Error).message}`);
	}
	const p = agentConfigSchema.safeParse(raw);
	if (!p.success)
		throw new Error(
			`The config file ${file} is invalid:\n` +
				p.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n')
		);
	return p.data;
}
