// `fleetdesk task …`: start a signed task on a device and wait for its result, list and show tasks. The same
// domain code as the desktop; the CLI acts as an administrator.
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import { SUPERUSER, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import { readableZodError } from '../trpc/trpc';
import { deviceIdByName, startTask } from '../tasks/dispatch';
import { getTask, listTasks, type TaskDetail } from '../tasks/queries';
import {
	FINAL_TASK_STATES,
	SHOW_TABLES,
	formatShowTable,
	isUserTaskKind,
	type ShowResult
} from '../../lib/protocol/tasks';
import type { CliResult } from './commands';

export const TASKS_USAGE = `  task run --device NAME --kind show|exec|inventory [--arg A]... [--timeout 60s] [--no-wait]
                                 run a signed task on a device's agent and print its result:
                                 show: --arg cpus|filesystems|memory|processes; exec: --arg PROGRAM
                                 --arg ARG1 … (no shell; the agent's config must allow exec)
  task list [--device NAME] [--limit N]
                                 recent tasks, newest first
  task show ID                   one task: its state, output and result`;

const OPTIONS = {
	device: { type: 'string' },
	kind: { type: 'string' },
	arg: { type: 'string', multiple: true },
	timeout: { type: 'string' },
	'no-wait': { type: 'boolean' },
	limit: { type: 'string' }
} as const;

/** The CLI is run by the server's administrator: every grant, like the built-in Administrator role. */
function cliPrincipal(actor: Actor): Principal {
	return { userId: 0, username: actor.name, roles: [], permissions: new Set([SUPERUSER]), grants: [] };
}

function parseDuration(s: string): number {
	const m = /^(\d+)(ms|s|m|h)?$/.exec(s.trim());
	if (!m) throw new UserError(`"${s}" is not a duration: use e.g. 30s, 5m or 1h.`);
	const n = Number(m[1]);
	return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

function taskArgs(kind: string, list: string[], timeoutMs: number | undefined): unknown {
	if (kind === 'show') {
		const table = list[0];
		if (!table || !(SHOW_TABLES as readonly string[]).includes(table))
			throw new UserError(`Say which table to show: --arg ${SHOW_TABLES.join('|')}.`);
		return { table };
	}
	if (kind === 'exec') {
		if (!list.length) throw new UserError('Say which program to run: --arg PROGRAM [--arg ARG]….');
		return { command: list[0], args: list.slice(1), ...(timeoutMs ? { timeoutMs } : {}) };
	}
	if (list.length) throw new UserError('An inventory task takes no --arg.');
	return {};
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');
const isFinal = (s: string) => (FINAL_TASK_STATES as readonly string[]).includes(s);

function describe(t: TaskDetail): string {
	const out: string[] = [];
	const head = [`Task ${t.id} (${t.kind} on ${t.deviceName ?? '?'}): ${t.state}`];
	if (t.exitCode !== null) head.push(`exit code ${t.exitCode}`);
	if (t.durationMs !== null) head.push(`${Math.round(t.durationMs)} ms`);
	out.push(head.join(', ') + '\n');
	if (t.error) out.push(`${t.error}\n`);
	const result = t.result as ShowResult | null;
	if (t.kind === 'show' && result?.rows) out.push(formatShowTable(result));
	else if (t.result !== null && t.result !== undefined) out.push(JSON.stringify(t.result, null, 2) + '\n');
	if (t.stdout?.text) out.push(t.stdout.text + (t.stdout.text.endsWith('\n') ? '' : '\n'));
	if (t.stdout?.truncated) out.push(`(stdout cut: ${t.stdout.bytes} bytes in all)\n`);
	if (t.stderr?.text) out.push(`--- stderr\n${t.stderr.text}${t.stderr.text.endsWith('\n') ? '' : '\n'}`);
	if (t.stderr?.truncated) out.push(`(stderr cut: ${t.stderr.bytes} bytes in all)\n`);
	return out.join('');
}

export async function runTasksCommand(db: Db, actor: Actor, argv: string[]): Promise<CliResult> {
	try {
		const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
		const [, verb, arg] = positionals;
		switch (verb ?? '') {
			case 'run': {
				if (!values.device) throw new UserError('Name the device: `fleetdesk task run --device NAME …`.');
				const kind = values.kind ?? '';
				if (!isUserTaskKind(kind))
					throw new UserError('Say which kind of task: --kind show, exec or inventory.');
				const timeoutMs = values.timeout ? parseDuration(values.timeout) : undefined;
				const deviceId = await deviceIdByName(db, values.device);
				const { id } = await startTask(db, cliPrincipal(actor), actor, {
					deviceId,
					kind,
					args: taskArgs(kind, values.arg ?? [], timeoutMs)
				});
				if (values['no-wait'])
					return { code: 0, stdout: `Started task ${id}; see \`fleetdesk task show ${id}\`.\n`, stderr: '' };
				// Wait for the result: the task's own timeout plus time to reach an agent that is online.
				const deadline = Date.now() + (timeoutMs ?? 60_000) + 30_000;
				let t = await getTask(db, id);
				while (!isFinal(t.state) && Date.now() < deadline) {
					await new Promise((r) => setTimeout(r, 200));
					t = await getTask(db, id);
				}
				if (!isFinal(t.state))
					return {
						code: 1,
						stdout: '',
						stderr: `Task ${id} is still ${t.state} (is the agent online?); see \`fleetdesk task show ${id}\` later.\n`
					};
				return { code: t.state === 'succeeded' ? 0 : 1, stdout: describe(t), stderr: '' };
			}
			case 'list': {
				const limit = values.limit === undefined ? 50 : Number(values.limit);
				if (!Number.isInteger(limit) || limit < 1 || limit > 500)
					throw new UserError('--limit is a whole number from 1 to 500.');
				const deviceId = values.device ? await deviceIdByName(db, values.device) : undefined;
				const rows = [['ID', 'DEVICE', 'KIND', 'STATE', 'BY', 'CREATED', 'EXIT']];
				for (const t of await listTasks(db, { deviceId, limit }))
					rows.push([
						t.id,
						t.deviceName ?? '-',
						t.kind,
						t.state,
						t.createdBy,
						iso(t.createdAt),
						t.exitCode === null ? '-' : String(t.exitCode)
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
			case 'show': {
				if (!arg) throw new UserError('Name the task: `fleetdesk task show ID`.');
				return { code: 0, stdout: describe(await getTask(db, arg)), stderr: '' };
			}
			default:
				return {
					code: 2,
					stdout: '',
					stderr: `Unknown command "${positionals.join(' ')}".\n\n${TASKS_USAGE}\n`
				};
		}
	} catch (e) {
		if (e instanceof UserError) return { code: 1, stdout: '', stderr: `${e.message}\n` };
		if (e instanceof ZodError) return { code: 1, stdout: '', stderr: `${readableZodError(e)}\n` };
		if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
			return { code: 2, stdout: '', stderr: `${e.message}\n\n${TASKS_USAGE}\n` };
		throw e;
	}
}
