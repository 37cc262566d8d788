import { z } from 'zod';
import { procedure, router } from '../trpc';
import { macroInputSchema } from '../../../lib/protocol/gang';
import { createMacro, deleteMacro, getMacro, listMacros, updateMacro } from '../../consoles/macros/library';
import { recordStart, recorded } from '../../consoles/macros/record';

const byId = z.object({ id: z.number().int().positive('That is not a macro') });
const consoleId = z.number().int().positive('That is not a console');

/**
 * The macro library (Consoles app). Everyone sees the macros they own or that are shared with one of their
 * roles; writing one needs console.write somewhere; changing or deleting one needs ownership or
 * consoles.manage (checked in src/server/consoles/macros/library.ts). Playing is a /desktop socket event
 * (macro:play), checked per console.
 */
export const macrosRouter = router({
	list: procedure('desktop.use').query(({ ctx }) => listMacros(ctx.db, ctx.user)),
	get: procedure('desktop.use')
		.input(byId)
		.query(({ ctx, input }) => getMacro(ctx.db, ctx.user, input.id)),
	create: procedure('console.write')
		.input(macroInputSchema)
		.mutation(({ ctx, input }) => createMacro(ctx.db, ctx.user, ctx.actor, input)),
	update: procedure('desktop.use')
		.input(macroInputSchema.extend({ id: z.number().int().positive() }))
		.mutation(({ ctx, input: { id, ...rest } }) => updateMacro(ctx.db, ctx.user, ctx.actor, id, rest)),
	delete: procedure('desktop.use')
		.input(byId)
		.mutation(async ({ ctx, input }) => {
			await deleteMacro(ctx.db, ctx.user, ctx.actor, input.id);
			return { id: input.id };
		}),
	/** Recording: where the console's access log ends now … */
	recordStart: procedure('console.write')
		.input(z.object({ consoleId }))
		.mutation(({ ctx, input }) => recordStart(ctx.db, ctx.user, input.consoleId)),
	/** … and the lines this user typed into it since then. */
	recorded: procedure('console.write')
		.input(z.object({ consoleId, fromSeq: z.number().int().min(0) }))
		.query(({ ctx, input }) => recorded(ctx.db, ctx.user, input.consoleId, input.fromSeq))
});
