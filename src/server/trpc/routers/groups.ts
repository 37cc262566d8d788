import { z } from 'zod';
import { procedure, router } from '../trpc';
import {
	createDevice,
	createGroup,
	deleteDevice,
	deleteGroup,
	deviceInput,
	groupInput,
	listDevices,
	listGroups,
	setMembership,
	updateGroup
} from '../../access/groups';

const id = z.object({ id: z.number().int().positive() });

export const groupsRouter = router({
	list: procedure('desktop.use').query(({ ctx }) => listGroups(ctx.db)),
	create: procedure('groups.manage')
		.input(groupInput)
		.mutation(({ ctx, input }) => createGroup(ctx.db, ctx.actor, input)),
	update: procedure('groups.manage')
		.input(id.extend(groupInput.shape))
		.mutation(({ ctx, input: { id, ...rest } }) => updateGroup(ctx.db, ctx.actor, id, rest)),
	delete: procedure('groups.manage')
		.input(id)
		.mutation(({ ctx, input }) => deleteGroup(ctx.db, ctx.actor, input.id)),
	setMembership: procedure('groups.manage')
		.input(
			z.object({
				groupId: z.number().int().positive(),
				deviceId: z.number().int().positive(),
				member: z.boolean()
			})
		)
		.mutation(({ ctx, input }) =>
			setMembership(ctx.db, ctx.actor, input.groupId, input.deviceId, input.member)
		),
	devices: procedure('desktop.use').query(({ ctx }) => listDevices(ctx.db)),
	createDevice: procedure('groups.manage')
		.input(deviceInput)
		.mutation(({ ctx, input }) => createDevice(ctx.db, ctx.actor, input)),
	deleteDevice: procedure('groups.manage')
		.input(id)
		.mutation(({ ctx, input }) => deleteDevice(ctx.db, ctx.actor, input.id))
});
