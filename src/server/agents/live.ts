// How a revocation reaches the node that holds the agent's connection. On PostgreSQL every node LISTENs on
// one channel (the CLI has no Socket.IO server, and the agent may be on any node); on PGlite there is one
// node, and the gateway in this process is told directly.
import type pg from 'pg';
import { listen, notify, type Listener } from '../db/listen';
import { hasRuntime, runtime } from '../runtime';

const CHANNEL = 'fleetdesk_agents';

/** Disconnect a revoked agent now; deliver an agent's queued tasks now; ask an agent to renew its certificate. */
export type AgentLinkCommand =
	| { type: 'disconnect'; agentId: string; reason: string }
	| { type: 'deliver'; agentId: string }
	| { type: 'renew'; agentId: string };

type Local = (c: AgentLinkCommand) => void;
const KEY = Symbol.for('fleetdesk.agentLink');
type G = typeof globalThis & { [KEY]?: Local };

/** The gateway in this process registers here (PGlite: the only way; PostgreSQL: unused, see LISTEN). */
export function setLocalAgentLink(fn: Local | undefined): void {
	(globalThis as G)[KEY] = fn;
}

/** Tells whichever node holds the agent's link to act on it now. */
export async function sendAgentLinkCommand(c: AgentLinkCommand): Promise<void> {
	const pool = hasRuntime() ? runtime().database.pool : undefined;
	if (pool) await notify(pool, CHANNEL, c);
	else (globalThis as G)[KEY]?.(c);
}

/** Listens on a dedicated connection, reconnecting with backoff if the database goes away. */
export function listenAgentLinkCommands(pool: pg.Pool, onCommand: Local): Listener {
	return listen(pool, CHANNEL, (msg) => {
		const cmd = msg as AgentLinkCommand;
		if (
			(cmd?.type === 'disconnect' || cmd?.type === 'deliver' || cmd?.type === 'renew') &&
			typeof cmd.agentId === 'string'
		)
			onCommand(cmd);
	});
}
