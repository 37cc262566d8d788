import { z } from 'zod';
import { procedure, router } from '../trpc';
import { assertCanDelegate } from '../../access/delegation';
import { createRole, deleteRole, listRoles, roleInput, updateRole } from '../../access/roles';
import { GLOBAL_ACTIONS, DEVICE_ACTIONS, ACTION_LABELS } from '../../../lib/protocol/permissions';

const id = z.object({ id: z.number().int().positive() });

export const rolesRouter = router({
	list: procedure('desktop.use').query(({ ctx }) => listRoles(ctx.db)),
	/** The catalogue of actions, for editors. */
	actions: procedure('desktop.use').query(() => ({
		global: GLOBAL_ACTIONS.map((a) => ({ id: a, label: ACTION_LABELS[a] })),
		device: DEVICE_ACTIONS.map((a) => ({ id: a, label: ACTION_LABELS[a] }))
	})),
	create: procedure('roles.manage')
		.input(roleInput)
		.mutation(({ ctx, input }) => {
			assertCanDelegate(ctx.user, input.permissions, 'a role');
			return createRole(ctx.db, ctx.actor, input);
		}),
	update: procedure('roles.manage')
		.input(id.extend(roleInput.shape))
		.mutation(({ ctx, input: { id, ...rest } }) => {
			assertCanDelegate(ctx.user, rest.permissions, 'a role');
			return updateRole(ctx.db, ctx.actor, id, rest);
		}),
	delete: procedure('roles.manage')
		.input(id)
		.mutation(({ ctx, input }) => deleteRole(ctx.db, ctx.actor, input.id))
});
