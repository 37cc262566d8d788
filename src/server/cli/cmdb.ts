// `fleetdesk cmdb import|export`: the same import and export code as the desktop, from a shell. Runs in
// the CLI process (PostgreSQL, or PGlite with no server running) or inside the server (admin socket).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import { UserError } from '../errors';
import { readableZodError } from '../trpc/trpc';
import { loadModel } from '../cmdb/model';
import { CSV_MAX_BYTES, decodeCsv, parseCsv } from '../cmdb/csv';
import {
	commitImport,
	dryRunImport,
	ImportRowsError,
	rememberedMapping,
	suggestMapping
} from '../cmdb/import';
import { exportCsv } from '../cmdb/export';
import type { CliResult } from './commands';

export const CMDB_USAGE = `  cmdb import FILE.csv --class NAME [--key ATTR] [--dry-run] [--message TEXT]
                                 import CIs from CSV: columns map to attributes by header name; rows are
                                 matched to existing CIs by --key (default: the class's last key, or name);
                                 all rows or none are written; exit code 1 when any row has errors
  cmdb export --class NAME [--q SEARCH] [--columns a,b,c] [--sort ATTR] [--desc]
                                 write the CIs of a class (filtered like the desktop's list) as CSV to stdout`;

const OPTIONS = {
	class: { type: 'string' },
	key: { type: 'string' },
	message: { type: 'string' },
	'dry-run': { type: 'boolean' },
	q: { type: 'string' },
	columns: { type: 'string' },
	sort: { type: 'string' },
	desc: { type: 'boolean' }
} as const;

/**
 * The directory the user ran the CLI from. `npm run fleetdesk -- …` runs it from the package root and
 * passes the user's directory as INIT_CWD (only trusted for that script: child processes inherit it).
 */
function userCwd(): string {
	const env = process.env;
	return env.npm_lifecycle_event === 'fleetdesk' && env.INIT_CWD ? env.INIT_CWD : process.cwd();
}

/**
 * Makes `cmdb import FILE` name the file absolutely, relative to the directory the CLI was started in:
 * through the admin socket the server reads the file, and its working directory is not the user's.
 * (Called by cli.ts on the arguments before they go anywhere.)
 */
export function absoluteImportPath(argv: string[], cwd = userCwd()): string[] {
	if (argv[0] !== 'cmdb' || argv[1] !== 'import') return argv;
	const { tokens } = parseArgs({
		args: argv,
		options: OPTIONS,
		allowPositionals: true,
		strict: false,
		tokens: true
	});
	const file = tokens.filter((t) => t.kind === 'positional')[2];
	if (!file || file.kind !== 'positional') return argv;
	return argv.map((a, n) => (n === file.index ? path.resolve(cwd, a) : a));
}

function readFile(file: string): string {
	let stat: fs.Stats;
	try {
		stat = fs.statSync(file);
	} catch {
		throw new UserError(
			`Can't read ${file}: there is no such file${path.isAbsolute(file) ? '' : ` (relative to ${process.cwd()})`}.`
		);
	}
	if (!stat.isFile()) throw new UserError(`${file} is not a file.`);
	if (stat.size > CSV_MAX_BYTES)
		throw new UserError(
			`${file} is ${(stat.size / 2 ** 20).toFixed(1)} MB; at most ${CSV_MAX_BYTES / 2 ** 20} MB can be imported at once. Split it.`
		);
	return decodeCsv(fs.readFileSync(file));
}

async function runImport(
	db: Db,
	actor: Actor,
	file: string | undefined,
	o: { class?: string; key?: string; message?: string; 'dry-run'?: boolean }
): Promise<CliResult> {
	if (!file) throw new UserError('Name the CSV file: `fleetdesk cmdb import FILE.csv --class NAME`.');
	if (!o.class) throw new UserError('Name the class to import into with --class (e.g. --class Computer).');
	const csv = readFile(file);
	const m = await loadModel(db);
	const c = m.cls(o.class);
	const { header } = parseCsv(csv);
	const remembered = await rememberedMapping(db, m, c.name);
	const mapping = suggestMapping(m, c, header, remembered?.mapping ?? null);
	const key = o.key ?? remembered?.keyAttribute ?? 'name';
	const out: string[] = [];
	const err: string[] = [];
	const ignored = header.filter((h) => !mapping[h]);
	if (ignored.length)
		err.push(
			`Ignored column${ignored.length > 1 ? 's' : ''} with no matching attribute: ${ignored.join(', ')}\n`
		);
	const input = { class: c.name, csv, mapping, keyAttribute: key, message: o.message };

	if (o['dry-run']) {
		const r = await dryRunImport(db, input);
		for (const row of r.rows)
			if (row.action === 'error')
				err.push(
					`line ${row.line}${row.name ? ` (${row.name})` : ''}: ${(row.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ')}\n`
				);
		const n = r.counts;
		out.push(
			`Dry run, nothing written: would insert ${n.insert}, update ${n.update}; ${n.unchanged} unchanged; ${n.error} with errors.\n`
		);
		return { code: n.error ? 1 : 0, stdout: out.join(''), stderr: err.join('') };
	}
	try {
		const r = await commitImport(db, actor, input);
		out.push(
			`Imported into ${c.name}: inserted ${r.inserted}, updated ${r.updated}, unchanged ${r.unchanged}.\n`
		);
		return { code: 0, stdout: out.join(''), stderr: err.join('') };
	} catch (e) {
		if (!(e instanceof ImportRowsError)) throw e;
		const bad = e.rows.filter((r) => r.action === 'error');
		for (const row of bad)
			err.push(
				`line ${row.line}${row.name ? ` (${row.name})` : ''}: ${(row.errors ?? []).map((x) => `${x.field}: ${x.message}`).join('; ')}\n`
			);
		err.push(`Nothing was imported: ${bad.length} row${bad.length === 1 ? ' has' : 's have'} errors.\n`);
		return { code: 1, stdout: '', stderr: err.join('') };
	}
}

/** `fleetdesk cmdb …` (argv without the leading "cmdb"). */
export async function runCmdbCommand(db: Db, actor: Actor, argv: string[]): Promise<CliResult> {
	try {
		const { values, positionals } = parseArgs({
			args: argv,
			allowPositionals: true,
			options: OPTIONS
		});
		const [verb, file, extra] = positionals;
		if (verb === 'import' && !extra) return await runImport(db, actor, file, values);
		if (verb === 'export' && !file) {
			if (!values.class)
				throw new UserError('Name the class to export with --class (e.g. --class Computer).');
			const csv = await exportCsv(db, {
				class: values.class,
				q: values.q ?? '',
				sort: values.sort,
				dir: values.desc ? 'desc' : 'asc',
				columns: values.columns?.split(',') ?? []
			});
			return { code: 0, stdout: csv, stderr: '' };
		}
		return {
			code: 2,
			stdout: '',
			stderr: `Unknown command "cmdb ${positionals.join(' ')}".\n\n${CMDB_USAGE}\n`
		};
	} catch (e) {
		if (e instanceof UserError) return { code: 1, stdout: '', stderr: `${e.message}\n` };
		if (e instanceof ZodError) return { code: 1, stdout: '', stderr: `${readableZodError(e)}\n` };
		if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
			return { code: 2, stdout: '', stderr: `${e.message}\n\n${CMDB_USAGE}\n` };
		throw e;
	}
}
