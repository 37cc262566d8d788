import type { Server } from 'node:http';
import { loadConfig } from './env';
import { boot } from './boot';
import { attachRealtime } from './realtime/io';
import { hasRuntime, runtime } from './runtime';
import { startAdminSocket } from './cli/admin-socket';
import { startAgentGateway } from './agents/gateway';
import { startAccessLogForwarding } from './accesslog';

/** `vite dev`: the same services as production, with Socket.IO on Vite's own HTTP server. */
export async function bootDev(http: Server): Promise<void> {
	if (hasRuntime()) return;
	const config = loadConfig();
	const started = await boot(config);
	await attachRealtime(http, runtime());
	await startAgentGateway(runtime());
	startAccessLogForwarding(runtime().db, { nodeId: runtime().nodeId });
	if (started.runtime.dbKind === 'pglite') await startAdminSocket(config.dataDir);
	console.log(`Fleetdesk dev: database ${started.runtime.dbKind}, node ${started.runtime.nodeId}`);
	if (started.firstAdmin.generated)
		console.log(`First start: sign in as "admin" with ${started.firstAdmin.generated}`);
}
