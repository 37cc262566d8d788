import { z } from 'zod';
import { procedure, router } from '../trpc';
import { assertCanGrant } from '../../access/delegation';
import { deleteGrant, grantInput, listGrants, setGrant } from '../../access/grants';

export const grantsRouter = router({
	list: procedure('desktop.use').query(({ ctx }) => listGrants(ctx.db)),
	set: procedure('grants.manage')
		.input(grantInput)
		.mutation(({ ctx, input }) => {
			assertCanGrant(ctx.user, input.groupId, input.actions);
			return setGrant(ctx.db, ctx.actor, input);
		}),
	delete: procedure('grants.manage')
		.input(z.object({ id: z.number().int().positive() }))
		.mutation(({ ctx, input }) => deleteGrant(ctx.db, ctx.actor, input.id))
});
