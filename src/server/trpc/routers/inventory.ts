import { z } from 'zod';
import { desc, eq } from 'drizzle-orm';
import { procedure, router } from '../trpc';
import { inventories } from '../../db/schema';
import { startTasks } from '../../tasks/dispatch';
import { INVENTORY_SECTIONS, type Inventory } from '../../../lib/protocol/inventory';

const id = z.number().int().positive();

/**
 * Hosts' inventories (Fleet app, device detail). Reading needs `agents.read`; "inventory now" starts a signed
 * `inventory` task per device and needs a `tasks.run` grant on each (checked per device by the dispatcher).
 */
export const inventoryRouter = router({
	get: procedure('agents.read')
		.input(
			z
				.object({ deviceId: id.optional(), ciId: id.optional() })
				.refine((i) => (i.deviceId === undefined) !== (i.ciId === undefined), 'Give a deviceId or a ciId')
		)
		.query(async ({ ctx, input }) => {
			const [row] = await ctx.db
				.select()
				.from(inventories)
				.where(
					input.deviceId !== undefined
						? eq(inventories.deviceId, input.deviceId)
						: eq(inventories.ciId, input.ciId!)
				)
				.orderBy(desc(inventories.receivedAt))
				.limit(1);
			if (!row) return null;
			// null: never reported (or could not be read on the host).
			const sections = {} as {
				[K in keyof Inventory]: { value: Inventory[K] | null; changedAt: string | null };
			};
			for (const s of INVENTORY_SECTIONS)
				(sections as Record<string, unknown>)[s] = {
					value: row[s],
					changedAt: row.sectionChangedAt[s] ?? null
				};
			return {
				key: row.key,
				source: row.source as 'agent' | 'ocs',
				name: row.name,
				deviceId: row.deviceId,
				ciId: row.ciId,
				receivedAt: row.receivedAt.toISOString(),
				changedAt: row.changedAt.toISOString(),
				fullRequestedAt: row.fullRequestedAt?.toISOString() ?? null,
				lastChange: row.lastChange,
				/** Sections still on their way into the CMDB (the worker takes them in batches), and why not yet. */
				cmdb: {
					pending: row.reconcileSections ?? [],
					queuedAt: row.reconcileQueuedAt?.toISOString() ?? null,
					attempts: row.reconcileAttempts,
					error: row.reconcileError
				},
				sections
			};
		}),
	requestNow: procedure('tasks.run')
		.input(z.object({ deviceIds: z.array(id).min(1, 'Choose at least one device').max(1000) }))
		.mutation(async ({ ctx, input }) => {
			const r = await startTasks(ctx.db, ctx.user, ctx.actor, {
				deviceIds: input.deviceIds,
				kind: 'inventory',
				args: {}
			});
			return r;
		})
});
