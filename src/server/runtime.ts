import os from 'node:os';
import type { Server as IoServer } from 'socket.io';
import type { Config } from './env';
import type { Database, Db, DbKind } from './db/client';

/**
 * The services of one running node. SvelteKit's server bundle and the Node entry (main.ts / dev.ts) are
 * built separately, so the instance lives on globalThis: both see the same database and Socket.IO server.
 */
export interface Runtime {
	config: Config;
	database: Database;
	db: Db;
	dbKind: DbKind;
	nodeId: string;
	version: string;
	startedAt: Date;
	io?: IoServer;
}

const KEY = Symbol.for('fleetdesk.runtime');
type G = typeof globalThis & { [KEY]?: Runtime };

export function runtime(): Runtime {
	const r = (globalThis as G)[KEY];
	if (!r)
		throw new Error(
			'Fleetdesk services are not started: run the server through `npm start` or `npm run dev`.'
		);
	return r;
}

export function hasRuntime(): boolean {
	return !!(globalThis as G)[KEY];
}

export function setRuntime(r: Runtime | undefined): void {
	(globalThis as G)[KEY] = r;
}

export function defaultNodeId(config: Config): string {
	return config.nodeId ?? `${os.hostname()}:${config.port}`;
}
