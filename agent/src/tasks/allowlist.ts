import { z } from 'zod';
import { taskKindSchema } from '../../../src/lib/protocol/tasks';

/**
 * Task kinds an agent runs when its config says nothing. `exec` is never on by default; the console kinds
 * are, but each console kind (shell, ssh, telnet, serial) is checked again against the config's `consoles`;
 * so are the log kinds, which read only what the config's `logs`/`files` lists name and watch files.
 */
export const DEFAULT_ALLOWED_KINDS: readonly string[] = Object.freeze([
	'inventory',
	'show',
	'console-open',
	'console-close',
	'logs-open',
	'logs-config'
]);

/** The `allow` entry of the agent config: a list of task kinds, defaulting to DEFAULT_ALLOWED_KINDS. */
export const allowListSchema = z
	.array(taskKindSchema)
	.max(64)
	.default([...DEFAULT_ALLOWED_KINDS])
	.transform((kinds) => Object.freeze([...new Set(kinds)]) as readonly string[]);

export function isKindAllowed(allow: readonly string[], kind: string): boolean {
	return allow.includes(kind);
}
