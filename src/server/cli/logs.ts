// `fleetdesk log verify [--console NAME]`: walks the access logs' hash chains and names the first bad record
// of each broken one. Exit code 0: every chain intact; 1: a chain is broken (or the console is unknown).
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import { consoles } from '../db/schema';
import { UserError } from '../errors';
import { purgedNote, verifyAccessLog, type ConsoleVerdict } from '../accesslog/verify';
import type { CliResult } from './commands';

export const LOGS_USAGE = `  log verify [--console NAME]   check the access logs' hash chains (all consoles, or one); exits 1 and names
                                 the first altered, removed, reordered or cut record of a broken chain; a chain
                                 that retention cut is checked from its signed checkpoint`;

function line(v: ConsoleVerdict): string {
	const name = v.consoleName ?? `console ${v.consoleId} (deleted)`;
	const purged = v.purged ? `; ${purgedNote(v.purged)}` : '';
	if (v.ok)
		return `ok       ${name}: ${v.records} records${v.records ? ` (${v.firstSeq}–${v.lastSeq})` : ''}${purged}\n`;
	return `BROKEN   ${name}: record ${v.problem!.seq} ${v.problem!.kind}. ${v.problem!.message}\n`;
}

export async function runLogsCommand(db: Db, _actor: Actor, argv: string[]): Promise<CliResult> {
	const usage = `Usage:\n${LOGS_USAGE}\n`;
	try {
		const { values, positionals } = parseArgs({
			args: argv,
			allowPositionals: true,
			options: { console: { type: 'string' } }
		});
		if (positionals[1] !== 'verify' || positionals.length > 2) return { code: 2, stdout: '', stderr: usage };
		let consoleId: number | undefined;
		if (values.console !== undefined) {
			const [c] = await db
				.select({ id: consoles.id })
				.from(consoles)
				.where(eq(consoles.name, values.console));
			if (!c) throw new UserError(`There is no console named "${values.console}".`);
			consoleId = c.id;
		}
		const result = await verifyAccessLog(db, { consoleId });
		const out = result.consoles.map(line).join('');
		const broken = result.consoles.filter((c) => !c.ok).length;
		const summary = broken
			? `${broken} of ${result.consoles.length} access logs are broken.\n`
			: `All ${result.consoles.length} access logs verify (${result.records} records).\n`;
		return { code: broken ? 1 : 0, stdout: out + summary, stderr: '' };
	} catch (e) {
		if (e instanceof UserError) return { code: 1, stdout: '', stderr: `${e.message}\n` };
		if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
			return { code: 2, stdout: '', stderr: `${e.message}\n\n${usage}` };
		throw e;
	}
}
