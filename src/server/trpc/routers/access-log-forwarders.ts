import { z } from 'zod';
import { procedure, router } from '../trpc';
import {
	createForwarder,
	createForwarderInput,
	deleteForwarder,
	forwarderPatch,
	listForwarders,
	testForwarder,
	testForwarderInput,
	updateForwarder
} from '../../accesslog/forward/manage';

const id = z.number().int().positive('That is not a forwarder');

/** Access-log forwarders (syslog over TCP/TLS, HTTPS): managed with `logs.manage`, every change audited. */
export const forwardersRouter = router({
	list: procedure('logs.manage').query(({ ctx }) => listForwarders(ctx.db)),
	create: procedure('logs.manage')
		.input(createForwarderInput)
		.mutation(({ ctx, input }) => createForwarder(ctx.db, ctx.actor, input)),
	update: procedure('logs.manage')
		.input(z.object({ id, patch: forwarderPatch }))
		.mutation(({ ctx, input }) => updateForwarder(ctx.db, ctx.actor, input.id, input.patch)),
	delete: procedure('logs.manage')
		.input(z.object({ id }))
		.mutation(({ ctx, input }) => deleteForwarder(ctx.db, ctx.actor, input.id)),
	/** Sends one test message with a saved forwarder's settings, or the form's (nothing stored). */
	test: procedure('logs.manage')
		.input(testForwarderInput)
		.mutation(({ ctx, input }) => testForwarder(ctx.db, input))
});
