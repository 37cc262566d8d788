// `fleetdesk-agent run --config FILE`: a JSON file. Every field is optional; see docs/agents.md.
import fs from 'node:fs';
import { z } from 'zod';

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
			.object({ allow: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).default(['inventory', 'show']) })
			.strict()
			.default({ allow: ['inventory', 'show'] }),
		/** Files the agent may watch and logs it may tail (used by the file and log modules). */
		files: z.array(z.string().startsWith('/', 'file paths must be absolute')).default([]),
		logs: z.array(z.string().startsWith('/', 'log paths must be absolute')).default([]),
		/** The agent's own log; unset means stderr (the journal under systemd). */
		logFile: z.string().startsWith('/', 'logFile must be an absolute path').nullable().default(null),
		debug: z.boolean().default(false)
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
