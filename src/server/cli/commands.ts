import { parseArgs } from 'node:util';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import { createUser, findUserByName, listUsers, setLocked } from '../access/users';
import { findRoleByName, listRoles } from '../access/roles';
import { generatePassword } from '../auth/password';
import { UserError } from '../errors';
import { ZodError } from 'zod';
import { readableZodError } from '../trpc/trpc';
import { CMDB_USAGE, runCmdbCommand } from './cmdb';
import { AGENTS_USAGE, runAgentsCommand } from './agents';
import { TASKS_USAGE, runTasksCommand } from './tasks';
import { LOGS_USAGE, runLogsCommand } from './logs';
import { CONSOLES_USAGE, runConsolesCommand } from './consoles';

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

export const USAGE = `Usage: fleetdesk <command>

  user add NAME --role ROLE [--display-name TEXT] [--email ADDR] [--password-stdin]
                                 create a user (a password is generated and printed unless given on stdin)
  user list                      list users with their roles and state
  user lock NAME                 lock a user out and end their sessions now
  user unlock NAME               let a locked user sign in again
  role list                      list roles and their permissions
${CMDB_USAGE}
${AGENTS_USAGE}
${TASKS_USAGE}
${LOGS_USAGE}
${CONSOLES_USAGE}
  help                           show this text

Configuration comes from the same environment variables as the server (DATABASE_URL, FLEETDESK_DATA_DIR).`;

function table(rows: string[][]): string {
	const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
	return (
		rows
			.map((r) =>
				r
					.map((c, i) => (c ?? '').padEnd(widths[i]))
					.join('  ')
					.trimEnd()
			)
			.join('\n') + '\n'
	);
}

async function needUser(db: Db, name: string | undefined) {
	if (!name) throw new UserError('Name the user, e.g. `fleetdesk user lock alice`.');
	const u = await findUserByName(db, name);
	if (!u) throw new UserError(`There is no user named "${name}".`, 'NOT_FOUND');
	return u;
}

/** Runs one CLI command against a database. The same code runs in the CLI process or inside the server. */
export async function runCommand(db: Db, actor: Actor, argv: string[], stdin: string): Promise<CliResult> {
	const out: string[] = [];
	if (argv[0] === 'cmdb') return runCmdbCommand(db, actor, argv.slice(1));
	if (argv[0] === 'token' || argv[0] === 'agent') return runAgentsCommand(db, actor, argv);
	if (argv[0] === 'task') return runTasksCommand(db, actor, argv);
	if (argv[0] === 'log') return runLogsCommand(db, actor, argv);
	if (argv[0] === 'console') return runConsolesCommand(db, actor, argv);
	try {
		const { values, positionals } = parseArgs({
			args: argv,
			allowPositionals: true,
			options: {
				role: { type: 'string', multiple: true },
				'display-name': { type: 'string' },
				email: { type: 'string' },
				'password-stdin': { type: 'boolean' }
			}
		});
		const [noun, verb, name] = positionals;
		const cmd = `${noun ?? ''} ${verb ?? ''}`.trim();
		switch (cmd) {
			case 'user add': {
				if (!name) throw new UserError('Name the new user: `fleetdesk user add NAME --role ROLE`.');
				if (!values.role?.length)
					throw new UserError('Give at least one role with --role (see `fleetdesk role list`).');
				const roleIds: number[] = [];
				for (const r of values.role) {
					const role = await findRoleByName(db, r);
					if (!role)
						throw new UserError(`There is no role named "${r}" (see \`fleetdesk role list\`).`, 'NOT_FOUND');
					roleIds.push(role.id);
				}
				const fromStdin = values['password-stdin'] ? stdin.replace(/\r?\n$/, '') : undefined;
				if (values['password-stdin'] && !fromStdin)
					throw new UserError('--password-stdin was given but stdin was empty.');
				const password = fromStdin ?? generatePassword();
				const u = await createUser(db, actor, {
					username: name,
					displayName: values['display-name'] ?? '',
					email: values.email ?? '',
					roleIds,
					password
				});
				out.push(`Created user ${u.username} (${u.roles.map((r) => r.name).join(', ')}).\n`);
				if (!fromStdin) out.push(`Password (shown once): ${password}\n`);
				break;
			}
			case 'user list': {
				const users = await listUsers(db);
				const rows = [['USERNAME', 'ROLES', 'STATE', 'LAST SIGN-IN']];
				for (const u of users)
					rows.push([
						u.username,
						u.roles.map((r) => r.name).join(',') || '-',
						u.locked ? 'locked' : u.lockedUntil ? `locked until ${u.lockedUntil.toISOString()}` : 'active',
						u.lastLoginAt?.toISOString() ?? 'never'
					]);
				out.push(table(rows));
				break;
			}
			case 'user lock':
			case 'user unlock': {
				const u = await needUser(db, name);
				await setLocked(db, actor, u.id, verb === 'lock');
				out.push(`${verb === 'lock' ? 'Locked' : 'Unlocked'} ${u.username}.\n`);
				break;
			}
			case 'role list': {
				const rows = [['ROLE', 'USERS', 'PERMISSIONS']];
				for (const r of await listRoles(db))
					rows.push([
						r.name,
						String(r.userCount),
						r.permissions.includes('*') ? 'full access' : r.permissions.join(',') || '-'
					]);
				out.push(table(rows));
				break;
			}
			case 'help':
			case '':
				return { code: 0, stdout: USAGE + '\n', stderr: '' };
			default:
				return { code: 2, stdout: '', stderr: `Unknown command "${positionals.join(' ')}".\n\n${USAGE}\n` };
		}
		return { code: 0, stdout: out.join(''), stderr: '' };
	} catch (e) {
		if (e instanceof UserError) return { code: 1, stdout: out.join(''), stderr: `${e.message}\n` };
		if (e instanceof ZodError) return { code: 1, stdout: out.join(''), stderr: `${readableZodError(e)}\n` };
		if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
			return { code: 2, stdout: '', stderr: `${e.message}\n\n${USAGE}\n` };
		throw e;
	}
}
