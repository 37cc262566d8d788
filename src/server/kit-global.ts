// Where the SvelteKit bundle leaves its server kit for the production entry (see kit.ts). Imports nothing at
// run time, so main.ts can use it without carrying a copy of the server.
import type { Server as HttpServer } from 'node:http';
import type { Config } from './env';
import type { BootResult } from './boot';
import type { Services } from './kit';

export interface ServerKit {
	boot(config: Config): Promise<BootResult>;
	startServices(http: HttpServer, started: BootResult): Promise<Services>;
}

const KEY = Symbol.for('fleetdesk.serverKit');
type G = typeof globalThis & { [KEY]?: ServerKit };

export function setServerKit(kit: ServerKit): void {
	(globalThis as G)[KEY] = kit;
}

/** The kit the SvelteKit bundle registered when its handler was imported. */
export function serverKit(): ServerKit {
	const kit = (globalThis as G)[KEY];
	if (!kit)
		throw new Error(
			'The SvelteKit bundle did not register the server kit (the init hook in hooks.server.ts).'
		);
	return kit;
}
