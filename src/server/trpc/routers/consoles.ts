import { z } from 'zod';
import { procedure, router } from '../trpc';
import { getConsole, listConsoles } from '../../consoles/catalog';
import {
	consoleCreateInput,
	consoleUpdateInput,
	createConsole,
	deleteConsole,
	updateConsole
} from '../../consoles/manage';
import {
	clearCredential,
	credentialInput,
	setCredential,
	startConsole,
	stopConsole
} from '../../consoles/lifecycle';

const byId = z.object({ id: z.number().int().positive('That is not a console') });

/**
 * Consoles (the Consoles app). Reading needs a console.view grant on the device (managers see all);
 * changing them needs consoles.manage; start/stop need console.write on the device. Rooms, input and
 * output are Socket.IO events on /desktop (src/server/realtime/namespaces/consoles.ts).
 */
export const consolesRouter = router({
	list: procedure('desktop.use')
		.input(
			z
				.object({
					search: z.string().max(200).optional(),
					deviceId: z.number().int().positive().optional(),
					groupId: z.number().int().positive().optional(),
					tag: z.string().max(60).optional(),
					limit: z.number().int().min(1).max(2000).default(500)
				})
				.default({ limit: 500 })
		)
		.query(({ ctx, input }) => listConsoles(ctx.db, ctx.user, input)),
	get: procedure('desktop.use')
		.input(byId)
		.query(({ ctx, input }) => getConsole(ctx.db, ctx.user, input.id)),
	create: procedure('consoles.manage')
		.input(consoleCreateInput)
		.mutation(async ({ ctx, input }) => {
			const { id } = await createConsole(ctx.db, ctx.actor, input);
			return getConsole(ctx.db, ctx.user, id);
		}),
	update: procedure('consoles.manage')
		.input(consoleUpdateInput)
		.mutation(async ({ ctx, input }) => {
			await updateConsole(ctx.db, ctx.actor, input);
			return getConsole(ctx.db, ctx.user, input.id);
		}),
	delete: procedure('consoles.manage')
		.input(byId)
		.mutation(async ({ ctx, input }) => {
			await deleteConsole(ctx.db, ctx.actor, input.id);
			return { id: input.id };
		}),
	setCredential: procedure('consoles.manage')
		.input(credentialInput)
		.mutation(async ({ ctx, input }) => {
			await setCredential(ctx.db, ctx.actor, input);
			return { id: input.id, credential: 'set' as const };
		}),
	clearCredential: procedure('consoles.manage')
		.input(byId)
		.mutation(async ({ ctx, input }) => {
			await clearCredential(ctx.db, ctx.actor, input.id);
			return { id: input.id, credential: 'not set' as const };
		}),
	start: procedure('console.write')
		.input(byId)
		.mutation(async ({ ctx, input }) => {
			await startConsole(ctx.db, ctx.user, ctx.actor, input.id);
			return getConsole(ctx.db, ctx.user, input.id);
		}),
	stop: procedure('console.write')
		.input(byId)
		.mutation(async ({ ctx, input }) => {
			await stopConsole(ctx.db, ctx.user, ctx.actor, input.id);
			return getConsole(ctx.db, ctx.user, input.id);
		})
});
