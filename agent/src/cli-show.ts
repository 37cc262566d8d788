import {
	SHOW_TABLES,
	formatShowTable,
	showArgsSchema,
	type ShowArgs,
	type ShowTable
} from '../../src/lib/protocol/show';
import { collectShow, type CollectOptions } from './show/collect';

export const SHOW_USAGE = `Usage: fleetdesk-agent show cpus|filesystems|memory|processes [--json] [--all | --limit N]

  cpus         per CPU: user, system, I/O wait and idle percent over one second
  filesystems  size, available, used percent, mount point, device, type
  memory       real memory and swap: total, used, free
  processes    pid, virtual size, resident size, CPU percent, name; top 50 by CPU

  --json       print the rows as JSON (raw numbers: bytes and percent)
  --all        processes: every process, not just the top 50
  --limit N    processes: the top N by CPU
`;

export interface ShowIo {
	stdout: { write(s: string): unknown };
	stderr: { write(s: string): unknown };
}

/**
 * `fleetdesk-agent show …`: `argv` is what follows `show`. Prints an aligned table, or JSON rows
 * with --json. Returns the exit code: 0 done, 1 could not collect, 2 bad usage.
 */
export async function runShowCommand(
	argv: readonly string[],
	io: ShowIo = process,
	opts: CollectOptions = {}
): Promise<number> {
	let table: string | undefined;
	let json = false;
	let all = false;
	let limit: number | undefined;
	const usage = (problem: string) => {
		io.stderr.write(`${problem}\n\n${SHOW_USAGE}`);
		return 2;
	};

	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--help' || a === '-h') {
			io.stdout.write(SHOW_USAGE);
			return 0;
		} else if (a === '--json') json = true;
		else if (a === '--all') all = true;
		else if (a === '--limit' || a.startsWith('--limit=')) {
			const v = a === '--limit' ? argv[++i] : a.slice('--limit='.length);
			limit = Number(v);
			if (!Number.isInteger(limit) || limit < 1) return usage(`--limit needs a whole number of at least 1.`);
		} else if (a.startsWith('-')) return usage(`Unknown option ${a}.`);
		else if (table === undefined) table = a;
		else return usage(`Show one table at a time (got ${table} and ${a}).`);
	}
	if (table === undefined) return usage('Which table? Choose cpus, filesystems, memory or processes.');
	if (!(SHOW_TABLES as readonly string[]).includes(table))
		return usage(`There is no table "${table}". Choose cpus, filesystems, memory or processes.`);
	if ((all || limit !== undefined) && table !== 'processes')
		return usage('--all and --limit apply only to the processes table.');
	if (all && limit !== undefined) return usage('Use --all or --limit, not both.');

	const args: ShowArgs = showArgsSchema.parse({ table: table as ShowTable, all: all || undefined, limit });
	try {
		const result = await collectShow(args, opts);
		io.stdout.write(json ? JSON.stringify(result.rows, null, 2) + '\n' : formatShowTable(result));
		return 0;
	} catch (err) {
		io.stderr.write(
			`Could not read the ${table} table: ${err instanceof Error ? err.message : String(err)}\n`
		);
		return 1;
	}
}
