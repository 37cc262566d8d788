import { procedure, router } from '../trpc';
import {
	getRetention,
	setGroupRetention,
	setGroupRetentionInput,
	setRetention,
	setRetentionInput
} from '../../accesslog/retention-settings';
import { runRetention } from '../../accesslog/retention-run';

/**
 * Access-log retention (logs.manage): days for the whole system and per device group, and a run now. Purges
 * keep tamper evidence (signed checkpoints) and never remove what an enabled forwarder has not sent.
 */
export const accessLogRetentionRouter = router({
	get: procedure('logs.manage').query(({ ctx }) => getRetention(ctx.db)),
	set: procedure('logs.manage')
		.input(setRetentionInput)
		.mutation(({ ctx, input }) => setRetention(ctx.db, ctx.actor, input.days)),
	setGroup: procedure('logs.manage')
		.input(setGroupRetentionInput)
		.mutation(({ ctx, input }) => setGroupRetention(ctx.db, ctx.actor, input.groupId, input.days)),
	/** Purges now what is past retention (the hourly job does the same), as the signed-in user. */
	run: procedure('logs.manage').mutation(async ({ ctx }) => {
		const r = await runRetention(ctx.db, ctx.actor);
		return {
			records: r.records,
			consoles: r.consoles.filter((c) => c.records).length,
			heldBack: r.heldBack,
			errors: r.errors
		};
	})
});
