import { z } from 'zod';
import { procedure, router } from '../trpc';
import { readableConsole } from '../../accesslog/access';
import { logSpan, readRecords, seqAt } from '../../accesslog/replay';
import { purgedNote, verifyAccessLog } from '../../accesslog/verify';
import { searchAccessLogs } from '../../accesslog/search';
import { readLines } from '../../accesslog/lines';
import { forwardersRouter } from './access-log-forwarders';

const consoleId = z.number().int().positive('That is not a console');
const time = z.coerce.date('That is not a time');
const kinds = z.array(z.enum(['output', 'input', 'event'])).max(3);

/**
 * Access logs: replay, verification, search and the line view. Each needs `logs.read` on the device of the
 * console (checked per console; search covers only the devices the user may read).
 */
export const accessLogsRouter = router({
	/** The log's span: first/last record and time, sessions (pipes), who typed, room events. */
	span: procedure('logs.read')
		.input(z.object({ consoleId }))
		.query(async ({ ctx, input }) =>
			logSpan(ctx.db, await readableConsole(ctx.db, ctx.user, input.consoleId))
		),
	/** Records in order after `afterSeq` (or from a time), data base64; a page ends at `limit` or ~4 MiB. */
	records: procedure('logs.read')
		.input(
			z.object({
				consoleId,
				afterSeq: z.number().int().min(0).optional(),
				from: time.optional(),
				to: time.optional(),
				kinds: kinds.optional(),
				limit: z.number().int().min(1).max(5000).default(1000)
			})
		)
		.query(async ({ ctx, input }) => {
			await readableConsole(ctx.db, ctx.user, input.consoleId);
			return readRecords(ctx.db, input);
		}),
	/** The first record at or after a time (to seek the player). */
	seqAt: procedure('logs.read')
		.input(z.object({ consoleId, at: time }))
		.query(async ({ ctx, input }) => {
			await readableConsole(ctx.db, ctx.user, input.consoleId);
			return { seq: await seqAt(ctx.db, input.consoleId, input.at) };
		}),
	/** Walks the console's hash chain; a broken one names the first bad record and what happened to it. */
	verify: procedure('logs.read')
		.input(z.object({ consoleId }))
		.query(async ({ ctx, input }) => {
			await readableConsole(ctx.db, ctx.user, input.consoleId);
			const [v] = (await verifyAccessLog(ctx.db, { consoleId: input.consoleId })).consoles;
			const bad = v.problem;
			const at = bad ? await recordTime(ctx.db, input.consoleId, bad.seq) : null;
			return {
				ok: v.ok,
				checked: v.records,
				firstSeq: v.firstSeq,
				lastSeq: v.lastSeq,
				firstBad: bad ? { seq: bad.seq, at, problem: bad.kind, message: bad.message } : null,
				/** Records before firstSeq were purged by retention (its signed checkpoint verified). */
				purged: v.purged ?? null,
				message: bad
					? bad.message
					: `${v.records} records verified${v.purged ? `; ${purgedNote(v.purged)}` : ''}.`
			};
		}),
	/** Lines matching a pattern (text, or a regular expression) across the logs the user may read. */
	search: procedure('logs.read')
		.input(
			z
				.object({
					pattern: z.string().max(1000, 'A pattern is at most 1000 characters').optional(),
					/** The same as `pattern`. */
					query: z.string().max(1000, 'A pattern is at most 1000 characters').optional(),
					regex: z.boolean().default(false),
					ignoreCase: z.boolean().default(false),
					deviceIds: z.array(z.number().int().positive()).max(10_000).optional(),
					consoleIds: z.array(consoleId).max(10_000).optional(),
					from: time.optional(),
					to: time.optional(),
					limit: z.number().int().min(1).max(1000).default(200)
				})
				.transform(({ query, pattern, ...rest }) => ({ ...rest, pattern: pattern ?? query ?? '' }))
		)
		.query(({ ctx, input }) => searchAccessLogs(ctx.db, ctx.user, input)),
	/** A window of a console's output as numbered lines (from a line number or a time). */
	lines: procedure('logs.read')
		.input(
			z.object({
				consoleId,
				fromLine: z.number().int().min(1).optional(),
				at: time.optional(),
				count: z.number().int().min(1).max(5000).default(500)
			})
		)
		.query(async ({ ctx, input }) => {
			await readableConsole(ctx.db, ctx.user, input.consoleId);
			return readLines(ctx.db, input);
		}),
	forwarders: forwardersRouter
});

async function recordTime(
	db: import('../../db/client').Db,
	consoleId: number,
	seq: number
): Promise<string | null> {
	const page = await readRecords(db, { consoleId, afterSeq: seq - 1, limit: 1 });
	return page.records[0]?.seq === seq ? page.records[0].at : null;
}
