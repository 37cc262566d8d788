import type { Server } from 'node:http';
import { loadConfig } from './env';
import { boot } from './boot';
import { hasRuntime } from './runtime';
import { startServices } from './kit';

/** `vite dev`: the same services as production, with Socket.IO on Vite's own HTTP server. */
export async function bootDev(http: Server): Promise<void> {
	if (hasRuntime()) return;
	const config = loadConfig();
	const started = await boot(config);
	await startServices(http, started);
	console.log(`Fleetdesk dev: database ${started.runtime.dbKind}, node ${started.runtime.nodeId}`);
	if (started.firstAdmin.generated)
		console.log(`First start: sign in as "admin" with ${started.firstAdmin.generated}`);
}
