import { trpc } from '$lib/trpc';
import type { Me, ModelView } from './types';
import { Loader } from '$lib/components/async.svelte';

/**
 * The data model and the signed-in user's permissions, shared by every CMDB window: a model edit in one
 * window shows in the others.
 */
class CmdbSession {
	readonly model = new Loader<ModelView>(() => trpc.cmdb.model.query());
	readonly me = new Loader<Me>(() => trpc.desktop.me.query());
	/** Each window opening refreshes both: someone may have changed the model or our roles meanwhile. */
	start(): void {
		void this.model.load();
		void this.me.load();
	}

	can(action: 'cmdb.read' | 'cmdb.write' | 'cmdb.model'): boolean {
		return this.me.data?.actions.includes(action) ?? false;
	}
}

export const cmdb = new CmdbSession();
