import { z } from 'zod';
import { procedure, router } from '../trpc';
import { layoutSchema, sendNotificationInput } from '../../../lib/protocol/desktop';
import { ALL_ACTIONS } from '../../../lib/protocol/permissions';
import { effectiveActions } from '../../auth/permissions';
import { loadLayout, saveLayout } from '../../desktop/layout';
import {
	listNotifications,
	markNotificationsRead,
	sendNotification
} from '../../notifications/notifications';

export const desktopRouter = router({
	/** Who am I and what may I do: the browser hides what it can't use; the server still checks every call. */
	me: procedure('desktop.use').query(({ ctx }) => ({
		id: ctx.user.userId,
		username: ctx.user.username,
		roles: ctx.user.roles.map((r) => r.name),
		actions: effectiveActions(ctx.user, ALL_ACTIONS)
	})),
	layout: procedure('desktop.use').query(({ ctx }) => loadLayout(ctx.db, ctx.user.userId)),
	saveLayout: procedure('desktop.use')
		.input(layoutSchema)
		.mutation(({ ctx, input }) => saveLayout(ctx.db, ctx.user.userId, input)),
	notifications: procedure('desktop.use').query(({ ctx }) => listNotifications(ctx.db, ctx.user)),
	markRead: procedure('desktop.use')
		.input(z.object({ ids: z.union([z.literal('all'), z.array(z.number().int().positive()).max(500)]) }))
		.mutation(({ ctx, input }) => markNotificationsRead(ctx.db, ctx.user, input.ids)),
	notify: procedure('notifications.send')
		.input(sendNotificationInput)
		.mutation(({ ctx, input }) => sendNotification(ctx.db, ctx.user.username, input))
});
