import { z } from 'zod';
import { procedure, router } from '../trpc';
import { can } from '../../auth/permissions';
import {
	createApiToken,
	createTokenInput,
	listApiTokens,
	revokeApiToken,
	type TokenMeta
} from '../../auth/api-tokens';
import { UserError } from '../../errors';

/** The signed-in user's REST API tokens (an administrator with users.manage sees and revokes everyone's). */
export const apiTokensRouter = router({
	list: procedure('desktop.use')
		.input(z.object({ all: z.boolean().default(false) }).default({ all: false }))
		.query(async ({ ctx, input }): Promise<(TokenMeta & { userId?: number; username?: string })[]> => {
			if (input.all && !can(ctx.user, 'users.manage'))
				throw new UserError('Only user managers (users.manage) can see everyone’s API tokens.', 'FORBIDDEN');
			const rows = await listApiTokens(ctx.db, input.all ? { all: true } : { userId: ctx.user.userId });
			return rows.map(({ userId, username, ...meta }) => (input.all ? { ...meta, userId, username } : meta));
		}),
	create: procedure('desktop.use')
		.input(createTokenInput)
		.mutation(({ ctx, input }) => createApiToken(ctx.db, { ...ctx.actor, id: ctx.user.userId }, input)),
	revoke: procedure('desktop.use')
		.input(z.object({ id: z.number().int().positive() }))
		.mutation(({ ctx, input }) => revokeApiToken(ctx.db, ctx.actor, ctx.user, input.id))
});
