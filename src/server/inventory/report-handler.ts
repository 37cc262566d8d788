// The agent's `inventory` report, applied inside the exactly-once transaction: unpacked with bounded memory,
// validated, a delta checked against the stored copy (every section's hash comes with it), then stored, and
// the host queued for the reconciliation worker when something changed (the CMDB work is done there, in
// batches, after this transaction: worker.ts). The key is always the agent id from the certificate, never
// anything the inventory says. A delta the server has no base for is stored as far as it goes, and the agent
// is asked for a full inventory.
import { eq } from 'drizzle-orm';
import { agents } from '../db/schema';
import { registerReportHandler, ReportRefused } from '../agents/reports';
import { agentGateway, agentRoom } from '../agents/gateway';
import { INVENTORY_SECTIONS, type InventorySection } from '../../lib/protocol/inventory';
import { decodeSections } from './decode';
import { hashSections } from './hash';
import { readInventoryMeta } from './store';
import { stageInventory } from './stage';
import { kickInventoryWorker } from './worker';

const warned = new Set<string>();

registerReportHandler('inventory', async (ctx, body) => {
	const sections = decodeSections(body);
	const [agent] = await ctx.db
		.select({ hostname: agents.hostname, deviceId: agents.deviceId })
		.from(agents)
		.where(eq(agents.id, ctx.agentId));
	if (!agent) throw new ReportRefused(`inventory refused: agent ${ctx.agentId} is not enrolled`);
	const stored = await readInventoryMeta(ctx.db, ctx.agentId, { lock: true });

	// The sections a delta leaves out must be what the server holds; otherwise its copy is not the agent's.
	const missing: InventorySection[] = body.full
		? []
		: INVENTORY_SECTIONS.filter((s) => sections[s] === undefined && stored?.hashes[s] !== body.hashes[s]);
	const computed = hashSections(sections);
	const disagree = INVENTORY_SECTIONS.filter((s) => computed[s] && computed[s] !== body.hashes[s]);
	if (disagree.length && !warned.has(ctx.agentId)) {
		warned.add(ctx.agentId);
		console.warn(
			`inventory: agent ${ctx.agentId} hashes ${disagree.join(', ')} differently from the server; its deltas will be re-sent in full`
		);
	}

	const staged = await stageInventory(
		ctx.db,
		{
			key: ctx.agentId,
			name: sections.system?.hostname ?? stored?.name ?? agent.hostname,
			deviceId: agent.deviceId,
			source: 'agent'
		},
		sections,
		stored,
		{
			// Server time: a report buffered while the link was down is received now.
			at: new Date(),
			reconcileAll: body.full,
			fullRequested: missing.length ? true : body.full ? false : undefined,
			seq: ctx.seq,
			hashes: computed
		}
	);
	if (missing.length) {
		agentGateway()?.namespace.to(agentRoom(ctx.agentId)).emit('inventory:full');
		console.warn(
			`inventory: agent ${ctx.agentId} sent a delta the server has no base for (${missing.join(', ')}); asked for a full inventory`
		);
	}
	if (staged.queued.length) kickInventoryWorker();
});
