import { z } from 'zod';
import { procedure, router } from '../trpc';
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
		.mutation(({ ctx, input }) => createUser(ctx.db, ctx.actor, input)),
	update: procedure('users.manage')
		.input(id.extend(userInput.pick({ displayName: true, email: true, roleIds: true }).partial().shape))
		.mutation(({ ctx, input: { id, ...patch } }) => updateUser(ctx.db, ctx.actor, id, patch)),
	resetPassword: procedure('users.manage')
		.input(id.extend({ password: z.string().min(1, 'Password is required') }))
		.mutation(({ ctx, input }) => resetPassword(ctx.db, ctx.actor, input.id, input.password)),
	setLocked: procedure('users.manage')
		.input(id.extend({ locked: z.boolean() }))
		.mutation(({ ctx, input }) => setLocked(ctx.db, ctx.actor, input.id, input.locked)),
	delete: procedure('users.manage')
		.input(id)
		.mutation(({ ctx, input }) => deleteUser(ctx.db, ctx.actor, input.id))
});
