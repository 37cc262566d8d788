// `fleetdesk console …`: list consoles with their state, start and stop one by name. The same domain code as
// the desktop; the CLI acts as an administrator.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles } from '../db/schema';
import type { Actor } from '../audit/audit';
import { SUPERUSER, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import { listConsoles } from '../consoles/catalog';
import { startConsole, stopConsole } from '../consoles/lifecycle';
import type { CliResult } from './commands';

export const CONSOLES_USAGE = `  console list [--search TEXT]   consoles with their device, kind, agent and state
  console start NAME             open the console's pipe (and let it open again after a stop)
  console stop NAME              close the console's pipe and keep it closed until started`;

function cliPrincipal(actor: Actor): Principal {
	return { userId: 0, username: actor.name, roles: [], permissions: new Set([SUPERUSER]), grants: [] };
}

async function idOf(db: Db, name: string | undefined): Promise<number> {
	if (!name) throw new UserError('Name the console, e.g. `fleetdesk console start db1`.');
	const [c] = await db.select({ id: consoles.id }).from(consoles).where(eq(consoles.name, name));
	if (!c) throw new UserError(`There is no console named "${name}".`, 'NOT_FOUND');
	return c.id;
}

export async function runConsolesCommand(db: Db, actor: Actor, argv: string[]): Promise<CliResult> {
	const usage = (message: string) => ({ code: 2, stdout: '', stderr: `${message}\n\n${CONSOLES_USAGE}\n` });
	try {
		const { values, positionals } = parseArgs({
			args: argv,
			options: { search: { type: 'string' } },
			allowPositionals: true
		});
		const [, verb, name] = positionals;
		const p = cliPrincipal(actor);
		if (verb === 'list') {
			const rows = [['NAME', 'DEVICE', 'KIND', 'AGENT', 'STATE', 'PERSISTENT']];
			for (const c of await listConsoles(db, p, { search: values.search, limit: 2000 }))
				rows.push([
					c.name,
					c.deviceName,
					c.kind,
					c.agentHostname ?? '-',
					c.state,
					c.persistent ? 'yes' : 'no'
				]);
			const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
			const text = rows.map((r) =>
				r
					.map((c, i) => c.padEnd(widths[i]))
					.join('  ')
					.trimEnd()
			);
			return { code: 0, stdout: text.join('\n') + '\n', stderr: '' };
		}
		if (verb === 'start' || verb === 'stop') {
			const id = await idOf(db, name);
			await (verb === 'start' ? startConsole : stopConsole)(db, p, actor, id);
			return {
				code: 0,
				stdout: `${verb === 'start' ? 'Started' : 'Stopped'} console ${name}.\n`,
				stderr: ''
			};
		}
		return usage(`Unknown command "${positionals.join(' ')}".`);
	} catch (e) {
		if (e instanceof UserError) return { code: 1, stdout: '', stderr: `${e.message}\n` };
		if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
			return usage(e.message);
		throw e;
	}
}
