// The inventory module: collects this host's hardware and software, and reports it every N hours (the
// server's setting, first at a random offset in [0, N) after start so a fleet restarted together does not
// report together), on demand as the `inventory` task, and in full when the server asks. Only the sections
// that changed since the last report travel. See docs/inventory.md.
import type { Inventory, InventoryReport } from '../../../../src/lib/protocol/inventory';
import type { AgentModule, ModuleContext } from '../types';
import { collectInventory } from './collect';
import { planWithinLimit, type ReportKindSent, type SectionHashes } from './report';

/** setTimeout takes at most 2^31-1 ms (24.8 days); longer waits are done in steps. */
const MAX_TIMER_MS = 2 ** 30;
/** After the server asks for a full inventory: within this long (less for a shorter interval). */
const FULL_ON_REQUEST_WITHIN_MS = 10_000;

export interface InventoryModuleOptions {
	/** The collector; virtual agents (simulate) pass a synthetic one. */
	collect?: (ctx: { signal: AbortSignal; log: ModuleContext['log'] }) => Promise<Inventory>;
	random?: () => number;
}

export interface InventoryRunResult {
	sent: ReportKindSent | 'dropped';
	sections: string[];
	bytes: number;
	/** Packages left out because the report would not fit the link. */
	cutSoftware?: number;
}

/** When the next scheduled inventory is due: start + offset·N for the first, then one interval after the last. */
export function nextDue(
	s: { startedAt: number; offset: number; lastRunAt: number | null },
	intervalMs: number
): number {
	return s.lastRunAt === null ? s.startedAt + s.offset * intervalMs : s.lastRunAt + intervalMs;
}

export function createInventoryModule(opts: InventoryModuleOptions = {}): AgentModule {
	const random = opts.random ?? Math.random;
	return {
		name: 'inventory',
		start(ctx) {
			const collect =
				opts.collect ??
				((c: { signal: AbortSignal; log: ModuleContext['log'] }) =>
					collectInventory({
						signal: c.signal,
						onProbeError: (probe, m) => c.log('debug', `inventory: ${probe}: ${m}`)
					}));
			const startedAt = Date.now();
			// Drawn once: a changed interval keeps this host's place in the spread.
			const offset = random();
			let intervalMs: number | null = null;
			let lastRunAt: number | null = null;
			let timer: NodeJS.Timeout | null = null;
			let lastSent: SectionHashes | null = null;
			let chain: Promise<unknown> = Promise.resolve();
			let first = true;

			const clear = () => {
				if (timer) clearTimeout(timer);
				timer = null;
			};
			const at = (due: number, fn: () => void) => {
				clear();
				const wait = Math.max(0, due - Date.now());
				timer = setTimeout(() => (wait > MAX_TIMER_MS ? at(due, fn) : fn()), Math.min(wait, MAX_TIMER_MS));
				timer.unref?.();
			};
			const plan = () => {
				if (intervalMs === null || ctx.signal.aborted) return;
				at(nextDue({ startedAt, offset, lastRunAt }, intervalMs), () => {
					run({ trigger: first ? 'startup' : 'schedule' })
						.catch((e: Error) => ctx.log('error', `inventory: ${e.message}`))
						.finally(plan);
				});
			};

			/** One collection and report at a time; a request during a run waits for it. */
			const run = (meta: { trigger: InventoryReport['trigger']; taskId?: string }) => {
				const next = chain.then(() => runOnce(meta));
				chain = next.catch(() => {});
				return next;
			};

			const runOnce = async (meta: {
				trigger: InventoryReport['trigger'];
				taskId?: string;
			}): Promise<InventoryRunResult> => {
				lastRunAt = Date.now();
				first = false;
				const t0 = Date.now();
				const inv = await collect({ signal: ctx.signal, log: ctx.log });
				const { plan: p, cutSoftware } = planWithinLimit(inv, lastSent, meta);
				if (cutSoftware)
					ctx.log(
						'warning',
						`inventory: ${cutSoftware} of ${inv.software.length} packages left out: the list does not fit in one report`
					);
				const queued = ctx.report('inventory', p.body);
				const secs = ((Date.now() - t0) / 1000).toFixed(1);
				if (!queued) {
					// Not queued (too large for the link): the server's copy is unknown now, so the next one is full.
					lastSent = null;
					ctx.log('error', `inventory: the report (${p.bytes} bytes) could not be queued and was dropped`);
					return { sent: 'dropped', sections: p.sections, bytes: p.bytes };
				}
				lastSent = p.hashes;
				ctx.log(
					'info',
					`inventory: sent ${p.sent} (${p.sections.length ? p.sections.join(', ') : 'no sections'}; ${p.bytes} bytes; collected in ${secs} s; ${meta.trigger})`
				);
				return {
					sent: p.sent,
					sections: p.sections,
					bytes: p.bytes,
					...(cutSoftware ? { cutSoftware } : {})
				};
			};

			ctx.onReady((settings) => {
				const ms = Math.round(settings.inventoryIntervalHours * 3600_000);
				if (!(ms > 0) || ms === intervalMs) return;
				if (intervalMs !== null)
					ctx.log('info', `inventory: the server's interval is now ${settings.inventoryIntervalHours} h`);
				intervalMs = ms;
				plan();
			});

			ctx.on('inventory:full', () => {
				ctx.log('info', 'inventory: the server asked for a full inventory');
				lastSent = null;
				const within = Math.min(FULL_ON_REQUEST_WITHIN_MS, intervalMs ?? FULL_ON_REQUEST_WITHIN_MS);
				const t = setTimeout(() => {
					if (!ctx.signal.aborted && lastSent === null)
						run({ trigger: 'schedule' }).catch((e: Error) => ctx.log('error', `inventory: ${e.message}`));
				}, random() * within);
				t.unref?.();
			});

			ctx.registerTask('inventory', async (_args, { envelope }) => {
				const r = await run({ trigger: 'task', taskId: envelope.id });
				return {
					result: {
						sent: r.sent,
						sections: r.sections,
						bytes: r.bytes,
						...(r.cutSoftware ? { cutSoftware: r.cutSoftware } : {})
					}
				};
			});

			ctx.signal.addEventListener('abort', clear, { once: true });
		}
	};
}

export const inventoryModule = createInventoryModule();
