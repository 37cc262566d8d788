// Hosts known through OCS Inventory, for the Fleet app: each has a device but no certificate, so it can
// report but never receive a task.
import { procedure, router } from '../trpc';
import { runtime, hasRuntime } from '../../runtime';
import { listOcsHosts } from '../../inventory/ocs/hosts';

export const ocsRouter = router({
	hosts: procedure('agents.read').query(({ ctx }) => listOcsHosts(ctx.db)),
	/** Whether POST /ocsinventory is on, and what an agent must be given to use it (never the password). */
	endpoint: procedure('agents.read').query(() => {
		const ocs = hasRuntime() ? runtime().config.ocs : null;
		return {
			enabled: !!ocs?.password,
			path: '/ocsinventory',
			user: ocs?.user ?? 'ocs',
			realm: ocs?.realm ?? '',
			group: ocs?.group ?? 'ocs'
		};
	})
});
