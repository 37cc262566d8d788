import { z } from 'zod';
import { procedure, router } from '../trpc';
import { can } from '../../auth/permissions';
import { UserError } from '../../errors';
import { startTask, startTasks } from '../../tasks/dispatch';
import { getTask, listTasks } from '../../tasks/queries';
import { USER_TASK_KINDS, TASK_MAX_LIFETIME_MS } from '../../../lib/protocol/tasks';

const kind = z.enum(USER_TASK_KINDS, 'The kind of task is inventory, show or exec');
const deviceId = z.number().int().positive('That is not a device');
/** Arguments are checked against the kind's own schema when the task is signed (errors name the field). */
const args = z.unknown().default({});
const lifetimeMs = z.number().int().min(1000).max(TASK_MAX_LIFETIME_MS).optional();

/**
 * Signed tasks. Starting one needs a `tasks.run` grant on the device (checked per device on the server).
 * Reading them needs `agents.read`; without it a user sees only the tasks they started.
 */
export const tasksRouter = router({
	run: procedure('tasks.run')
		.input(z.object({ deviceId, kind, args, lifetimeMs }))
		.mutation(({ ctx, input }) => startTask(ctx.db, ctx.user, ctx.actor, input)),
	runMany: procedure('tasks.run')
		.input(z.object({ deviceIds: z.array(deviceId).min(1).max(1000), kind, args, lifetimeMs }))
		.mutation(({ ctx, input }) => startTasks(ctx.db, ctx.user, ctx.actor, input)),
	list: procedure('desktop.use')
		.input(
			z.object({
				deviceId: deviceId.optional(),
				before: z.coerce.date().optional(),
				limit: z.number().int().min(1).max(500).default(100)
			})
		)
		.query(({ ctx, input }) =>
			listTasks(ctx.db, {
				...input,
				createdBy: can(ctx.user, 'agents.read') ? undefined : ctx.user.username
			})
		),
	get: procedure('desktop.use')
		.input(z.object({ id: z.uuid('That is not a task id') }))
		.query(async ({ ctx, input }) => {
			const t = await getTask(ctx.db, input.id);
			if (!can(ctx.user, 'agents.read') && t.createdBy !== ctx.user.username)
				throw new UserError(`There is no task ${input.id}.`, 'NOT_FOUND');
			return t;
		})
});
