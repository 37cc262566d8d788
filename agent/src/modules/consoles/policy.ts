// What this host's config lets a console open. Checked before a pipe starts, so a refused target fails the
// console-open task with a sentence that says which setting to change.
import os from 'node:os';
import path from 'node:path';
import type { ConsoleOpenArgs, ConsoleTarget } from '../../../../src/lib/protocol/consoles';
import type { AgentConfig } from '../../config';

export type ConsolesConfig = AgentConfig['consoles'];

/** A console-open this host refuses; the message goes back as the task's error. */
export class PolicyError extends Error {}

export interface Self {
	uid: number;
	username: string;
}

export function currentUser(): Self {
	const u = os.userInfo();
	return { uid: u.uid, username: u.username };
}

/** Throws a PolicyError when the config does not allow this target. */
export function checkTarget(args: ConsoleOpenArgs, cfg: ConsolesConfig, self: Self = currentUser()): void {
	const t = args.target;
	if (!cfg.allow.includes(t.kind))
		throw new PolicyError(
			`This agent does not open ${t.kind} consoles: add "${t.kind}" to consoles.allow in its config.`
		);
	if (t.kind === 'shell') shellUser(t, cfg, self);
	if (t.kind === 'serial' && !serialPortAllowed(t.path, cfg.serial.ports))
		throw new PolicyError(
			`The serial port ${t.path} is not allowed on this agent: add it to consoles.serial.ports in its config.`
		);
}

/**
 * The user a shell runs as: the console's, else the config's, else the agent's own. Another user needs the
 * agent to run as root and the user to be allowed by the config.
 */
export function shellUser(
	t: Extract<ConsoleTarget, { kind: 'shell' }>,
	cfg: ConsolesConfig,
	self: Self = currentUser()
): string {
	const user = t.user ?? cfg.shell.user ?? self.username;
	if (t.user && t.user !== cfg.shell.user && !cfg.shell.allowUsers.includes(t.user))
		throw new PolicyError(
			`Shells as ${t.user} are not allowed on this agent: add the user to consoles.shell.allowUsers in its config.`
		);
	if (user !== self.username && self.uid !== 0)
		throw new PolicyError(
			`The agent runs as ${self.username} and cannot start a shell as ${user}: run it as root or leave the user empty.`
		);
	return user;
}

/** A path matches one entry: equal, or a glob whose `*` and `?` stay within one path segment. */
export function serialPortAllowed(port: string, allowed: readonly string[]): boolean {
	const p = path.posix.normalize(port);
	if (p !== port || p.split('/').includes('..')) return false;
	return allowed.some((g) => globToRegExp(g).test(p));
}

function globToRegExp(glob: string): RegExp {
	let re = '';
	for (const ch of glob) {
		if (ch === '*') re += '[^/]*';
		else if (ch === '?') re += '[^/]';
		else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
	}
	return new RegExp(`^${re}$`);
}
