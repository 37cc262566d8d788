// The log viewer on the agent link: after each hello the agent says what it may read (allow lists, journal) and
// which logs-config it holds; the server records it and sends a new signed config when it differs. File reads
// are requests from the server (agent-ops.ts); matches and file changes arrive as reports (reports.ts).
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { registerLinkModule } from '../agents/link';
import { agents, logAgents } from '../db/schema';
import { ensureAgentConfig } from './config';
import './reports';

const helloSchema = z.object({
	allow: z.array(z.string().max(4096)).max(1000),
	journal: z.boolean(),
	configVersion: z.string().max(64).nullable()
});

registerLinkModule({
	name: 'logs',
	events: ['logs:hello'],
	attach(socket, { db }) {
		socket.on('logs:hello', async (m, ack) => {
			const reply = typeof ack === 'function' ? ack : () => {};
			const p = helloSchema.safeParse(m);
			if (!p.success) return reply({ ok: false });
			const agentId = socket.data.agentId;
			try {
				await db
					.insert(logAgents)
					.values({ agentId, ...p.data, reportedAt: new Date() })
					.onConflictDoUpdate({ target: logAgents.agentId, set: { ...p.data, reportedAt: new Date() } });
				reply({ ok: true });
				const [a] = await db.select({ deviceId: agents.deviceId }).from(agents).where(eq(agents.id, agentId));
				if (a?.deviceId != null) await ensureAgentConfig(db, agentId, a.deviceId, p.data.configVersion);
			} catch (e) {
				console.error(`logs: hello from agent ${agentId} failed:`, (e as Error).message);
				reply({ ok: false });
			}
		});
	}
});
