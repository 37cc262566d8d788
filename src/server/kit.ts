// The server's services as one object. The production entry (main.ts, bundled on its own) must not import
// them: it would carry a second copy of every server module next to the SvelteKit bundle's, each with its own
// module state (an access-log writer per copy, so two queues racing for one hash chain). Instead the SvelteKit
// bundle's server `init` hook registers this kit on globalThis, and main.ts takes it from there after
// importing the handler. `vite dev` (dev.ts) has one module graph and calls the same functions directly.
import type { Server as HttpServer } from 'node:http';
import { boot, type BootResult } from './boot';
import { attachRealtime } from './realtime/io';
import { startAdminSocket } from './cli/admin-socket';
import { purgeExpiredSessions } from './auth/sessions';
import { startAgentGateway } from './agents/gateway';
import { startAccessLogForwarding } from './accesslog';
import { setServerKit } from './kit-global';

const SESSION_PURGE_MS = 10 * 60_000;

export interface Services {
	/** Stops taking new work (sockets, agents, forwarding, the CLI socket); then close the boot result. */
	close(): Promise<void>;
}

/** Socket.IO on `http`, the agent gateway, access-log forwarding, the CLI's admin socket, session purging. */
export async function startServices(http: HttpServer, started: BootResult): Promise<Services> {
	const rt = started.runtime;
	const config = rt.config;
	await attachRealtime(http, rt);
	const agentGateway = await startAgentGateway(rt);
	const forwarding = startAccessLogForwarding(rt.db, {
		nodeId: rt.nodeId,
		retentionIntervalMs: rt.config.accessLog.retentionIntervalMs
	});
	const adminSocket = rt.dbKind === 'pglite' ? await startAdminSocket(config.dataDir) : { close() {} };
	const purge = setInterval(
		() =>
			purgeExpiredSessions(rt.db, { idleMs: config.sessionIdleMs, maxMs: config.sessionMaxMs }).catch((e) =>
				console.error('session purge failed:', (e as Error).message)
			),
		SESSION_PURGE_MS
	);
	purge.unref();
	return {
		async close() {
			clearInterval(purge);
			await new Promise<void>((r) => rt.io?.close(() => r()) ?? r());
			adminSocket.close();
			await agentGateway?.close();
			await forwarding.stop();
		}
	};
}

/** Called by the SvelteKit server `init` hook (src/hooks.server.ts). */
export function registerServerKit(): void {
	setServerKit({ boot: (config) => boot(config), startServices });
}
