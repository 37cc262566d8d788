import { z } from 'zod';
import { procedure, router } from '../trpc';
import { listAgentFiles } from '../../logs/agent-ops';
import { readableAgent, readLogs } from '../../logs/reader';
import { listLogDevices } from '../../logs/devices';
import {
	createBookmark,
	deleteBookmark,
	getBookmark,
	listBookmarks,
	updateBookmark
} from '../../logs/bookmarks';
import { createRule, deleteRule, listRules, testRule, updateRule } from '../../logs/rules';
import { ackEvents, getEvent, listEvents } from '../../logs/event-queries';
import { listWatchLists, resetWatchList, setWatchList } from '../../logs/watch';
import {
	LOG_MAX_FILTER_ROWS,
	LOG_MAX_LINES,
	LOG_MAX_WAIT_MS,
	LOG_SEVERITIES,
	REGEX_MAX_LENGTH,
	logBookmarkInputSchema,
	logBookmarkUpdateSchema,
	logCursorSchema,
	logFilterSchema,
	logPositionSchema,
	logRuleInputSchema,
	logSourceSchema,
	watchPathSchema
} from '../../../lib/protocol/logs';

const deviceId = z.number().int().positive('That is not a device');
const id = z.number().int().positive();
const on = z.object({ deviceId, source: logSourceSchema });

/**
 * The log viewer: files and the journal on agent hosts (read, follow, filter), bookmarks, pattern rules and
 * their events, watched files. Reading needs a `logs.read` grant on the device; rules and watch lists need
 * the global `logs.manage` to change (audited). See docs/logs.md.
 */
export const logsRouter = router({
	devices: procedure('logs.read').query(({ ctx }) => listLogDevices(ctx.db, ctx.user)),
	sources: procedure('logs.read')
		.input(z.object({ deviceId }))
		.query(async ({ ctx, input }) => {
			const a = await readableAgent(ctx.db, ctx.user, input.deviceId);
			const dev = (await listLogDevices(ctx.db, ctx.user)).find((d) => d.deviceId === input.deviceId);
			const live = await listAgentFiles(a.agentId).catch(() => null);
			return {
				deviceId: a.deviceId,
				deviceName: a.deviceName,
				online: live !== null,
				allow: dev?.allow ?? [],
				files: live?.files ?? [],
				journal: live?.journal ?? dev?.journal ?? false
			};
		}),
	stat: procedure('logs.read')
		.input(on)
		.query(async ({ ctx, input }) => (await readLogs(ctx.db, ctx.user, input, { op: 'stat' })).index),
	read: procedure('logs.read')
		.input(
			on.extend({
				from: logPositionSchema.default({ end: true }),
				count: z.number().int().min(1).max(LOG_MAX_LINES).default(200),
				/** Lines before `from` as well (to show a bookmarked line in its context). */
				before: z.number().int().min(0).max(LOG_MAX_LINES).default(0)
			})
		)
		.query(({ ctx, input }) =>
			readLogs(ctx.db, ctx.user, input, {
				op: 'read',
				from: input.from,
				count: input.count,
				before: input.before
			})
		),
	follow: procedure('logs.read')
		.input(
			on.extend({
				after: logCursorSchema,
				max: z.number().int().min(1).max(LOG_MAX_LINES).default(500),
				/** Wait up to this long for a line to arrive (0: answer at once). */
				waitMs: z.number().int().min(0).max(LOG_MAX_WAIT_MS).default(0)
			})
		)
		.query(({ ctx, input }) =>
			readLogs(ctx.db, ctx.user, input, {
				op: 'follow',
				after: input.after,
				max: input.max,
				waitMs: input.waitMs
			})
		),
	filter: procedure('logs.read')
		.input(
			on.extend({
				filter: logFilterSchema,
				/** Continue a scan where the previous answer's `next` says; null: from the start. */
				from: logCursorSchema.nullable().default(null),
				limit: z.number().int().min(1).max(LOG_MAX_FILTER_ROWS).default(500)
			})
		)
		.query(({ ctx, input }) =>
			readLogs(ctx.db, ctx.user, input, {
				op: 'filter',
				filter: input.filter,
				from: input.from,
				limit: input.limit
			})
		),

	bookmarks: router({
		list: procedure('logs.read')
			.input(
				z.object({
					deviceId: deviceId.optional(),
					path: z.string().max(4096).optional(),
					consoleId: id.optional(),
					tag: z.string().max(50).optional(),
					search: z.string().max(200).optional(),
					limit: z.number().int().min(1).max(1000).default(200)
				})
			)
			.query(({ ctx, input }) => listBookmarks(ctx.db, ctx.user, input)),
		get: procedure('logs.read')
			.input(z.object({ id }))
			.query(({ ctx, input }) => getBookmark(ctx.db, ctx.user, input.id)),
		create: procedure('logs.read')
			.input(logBookmarkInputSchema)
			.mutation(({ ctx, input }) => createBookmark(ctx.db, ctx.user, input)),
		update: procedure('logs.read')
			.input(logBookmarkUpdateSchema)
			.mutation(({ ctx, input }) => updateBookmark(ctx.db, ctx.user, input)),
		delete: procedure('logs.read')
			.input(z.object({ id }))
			.mutation(({ ctx, input }) => deleteBookmark(ctx.db, ctx.user, input.id))
	}),

	rules: router({
		list: procedure('logs.read')
			.input(z.object({ groupId: id.optional() }).default({}))
			.query(({ ctx, input }) => listRules(ctx.db, input.groupId)),
		create: procedure('logs.manage')
			.input(logRuleInputSchema)
			.mutation(({ ctx, input }) => createRule(ctx.db, ctx.actor, input)),
		update: procedure('logs.manage')
			.input(z.object({ id, rule: logRuleInputSchema }))
			.mutation(({ ctx, input }) => updateRule(ctx.db, ctx.actor, input.id, input.rule)),
		delete: procedure('logs.manage')
			.input(z.object({ id }))
			.mutation(({ ctx, input }) => deleteRule(ctx.db, ctx.actor, input.id)),
		/** Tries a pattern on sample lines: the same check and engine as the rules use. */
		test: procedure('logs.read')
			.input(
				z.object({
					pattern: z.string().max(REGEX_MAX_LENGTH),
					ignoreCase: z.boolean().default(false),
					lines: z.array(z.string().max(16 * 1024)).max(1000)
				})
			)
			.query(({ input }) => testRule(input.pattern, input.ignoreCase, input.lines))
	}),

	events: router({
		list: procedure('logs.read')
			.input(
				z.object({
					deviceId: deviceId.optional(),
					kind: z.enum(['pattern', 'file-change']).optional(),
					severity: z.enum(LOG_SEVERITIES).optional(),
					unacked: z.boolean().default(false),
					beforeId: id.optional(),
					limit: z.number().int().min(1).max(500).default(100)
				})
			)
			.query(({ ctx, input }) => listEvents(ctx.db, ctx.user, input)),
		get: procedure('logs.read')
			.input(z.object({ id }))
			.query(({ ctx, input }) => getEvent(ctx.db, ctx.user, input.id)),
		ack: procedure('logs.read')
			.input(z.object({ ids: z.array(id).min(1).max(1000) }))
			.mutation(({ ctx, input }) => ackEvents(ctx.db, ctx.user, input.ids))
	}),

	watch: router({
		list: procedure('logs.read').query(({ ctx }) => listWatchLists(ctx.db)),
		set: procedure('logs.manage')
			.input(z.object({ groupId: id, paths: z.array(watchPathSchema).max(1000) }))
			.mutation(({ ctx, input }) => setWatchList(ctx.db, ctx.actor, input.groupId, input.paths)),
		/** The group goes back to having no list of its own. */
		reset: procedure('logs.manage')
			.input(z.object({ groupId: id }))
			.mutation(({ ctx, input }) => resetWatchList(ctx.db, ctx.actor, input.groupId))
	})
});
