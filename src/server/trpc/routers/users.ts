import { z } from 'zod';
import { procedure, router } from '../trpc';
import { assertCanAssignRoles, assertDominates } from '../../access/delegation';
import { patchSchema } from '../../../lib/protocol/patch';
import {
	createUser,
	deleteUser,
	listUsers,
	resetPassword,
	setLocked,
	updateUser,
	userInput
} from '../../access/users';

const id = z.object({ id: z.number().int().positive() });

export const usersRouter = router({
	list: procedure('users.manage').query(({ ctx }) => listUsers(ctx.db)),
	create: procedure('users.manage')
		.input(userInput.extend({ password: z.string().min(1, 'Password is required') }))
		.mutation(async ({ ctx, input }) => {
			await assertCanAssignRoles(ctx.db, ctx.user, input.roleIds ?? []);
			return createUser(ctx.db, ctx.actor, input);
		}),
	update: procedure('users.manage')
		.input(id.extend(patchSchema(userInput.pick({ displayName: true, email: true, roleIds: true })).shape))
		.mutation(async ({ ctx, input: { id, ...patch } }) => {
			await assertDominates(ctx.db, ctx.user, id);
			if (patch.roleIds) await assertCanAssignRoles(ctx.db, ctx.user, patch.roleIds);
			return updateUser(ctx.db, ctx.actor, id, patch);
		}),
	resetPassword: procedure('users.manage')
		.input(id.extend({ password: z.string().min(1, 'Password is required') }))
		.mutation(async ({ ctx, input }) => {
			await assertDominates(ctx.db, ctx.user, input.id);
			return resetPassword(ctx.db, ctx.actor, input.id, input.password);
		}),
	setLocked: procedure('users.manage')
		.input(id.extend({ locked: z.boolean() }))
		.mutation(async ({ ctx, input }) => {
			await assertDominates(ctx.db, ctx.user, input.id);
			return setLocked(ctx.db, ctx.actor, input.id, input.locked);
		}),
	delete: procedure('users.manage')
		.input(id)
		.mutation(async ({ ctx, input }) => {
			await assertDominates(ctx.db, ctx.user, input.id);
			return deleteUser(ctx.db, ctx.actor, input.id);
		})
});
