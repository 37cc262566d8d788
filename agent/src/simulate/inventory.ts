// Inventory for a virtual agent: the same `inventory` report a real agent sends, planned by the inventory
// module's own code (section hashes, deltas, size limit). The first report of a run is full; later ones carry
// only the sections that changed (package upgrades, disk usage). Unlike a real host, whose first inventory
// comes at a random point of the server's interval (hours), a virtual one reports within --inventory-within
// seconds, so a demo fleet fills the CMDB quickly; after that it follows the server's interval.
import { inventorySchema, type InventoryReport } from '../../../src/lib/protocol/inventory';
import type { JsonValue } from '../../../src/lib/protocol/tasks';
import { planWithinLimit, type SectionHashes } from '../modules/inventory/report';
import type { AgentModule } from '../modules/types';
import { inventoryAt, type Profile } from './profile';

/** After the server asks for a full inventory (it has no base for our deltas): within this long. */
const FULL_ON_REQUEST_WITHIN_MS = 10_000;

export function simInventoryModule(p: Profile, o: { firstWithinMs: number }): AgentModule {
	return {
		name: 'inventory',
		start(ctx) {
			let sent: SectionHashes | null = null;
			let reported = false;
			let timer: NodeJS.Timeout | null = null;
			const send = (trigger: InventoryReport['trigger'], taskId?: string) => {
				const inv = inventorySchema.parse(inventoryAt(p, Date.now()));
				const { plan } = planWithinLimit(inv, sent, { trigger, taskId });
				// Not queued: the server's copy is unknown now, so the next one is full.
				sent = ctx.report('inventory', plan.body) ? plan.hashes : null;
				reported = true;
				return plan;
			};
			const at = (ms: number) => {
				if (timer) clearTimeout(timer);
				timer = setTimeout(
					() => {
						timer = null;
						send(reported ? 'schedule' : 'startup');
						at((ctx.settings()?.inventoryIntervalHours ?? 24) * 3600_000);
					},
					Math.min(ms, 2 ** 30)
				);
			};
			ctx.onReady(() => {
				if (!reported && !timer) at(Math.random() * o.firstWithinMs);
			});
			ctx.on('inventory:full', () => {
				sent = null;
				setTimeout(
					() => !ctx.signal.aborted && sent === null && send('schedule'),
					Math.random() * FULL_ON_REQUEST_WITHIN_MS
				);
			});
			ctx.registerTask('inventory', async (_args, { envelope }) => {
				const r = send('task', envelope.id);
				return { result: { sent: r.sent, sections: r.sections, bytes: r.bytes } as JsonValue };
			});
			ctx.signal.addEventListener('abort', () => timer && clearTimeout(timer), { once: true });
		}
	};
}
