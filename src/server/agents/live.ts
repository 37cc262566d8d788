// How a revocation reaches the node that holds the agent's connection. On PostgreSQL every node LISTENs on
// one channel (the CLI has no Socket.IO server, and the agent may be on any node); on PGlite there is one
// node, and the gateway in this process is told directly.
import pg from 'pg';
import { hasRuntime, runtime } from '../runtime';

const CHANNEL = 'fleetdesk_agents';

export interface AgentLinkCommand {
	type: 'disconnect';
	agentId: string;
	reason: string;
}

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
	if (pool) await pool.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(c)]);
	else (globalThis as G)[KEY]?.(c);
}

/** Listens on a dedicated connection, reconnecting with backoff if the database goes away. */
export function listenAgentLinkCommands(
	pool: pg.Pool,
	onCommand: Local
): { ready: Promise<void>; close(): void } {
	let client: pg.Client | null = null;
	let listening = () => {};
	const ready = new Promise<void>((r) => (listening = r));
	let closed = false;
	let delay = 500;
	const connect = async () => {
		if (closed) return;
		const c = new pg.Client(pool.options);
		client = c;
		c.on('error', () => retry(c));
		c.on('end', () => retry(c));
		c.on('notification', (msg) => {
			try {
				const cmd = JSON.parse(msg.payload ?? '') as AgentLinkCommand;
				if (cmd.type === 'disconnect' && typeof cmd.agentId === 'string') onCommand(cmd);
			} catch {
				/* not ours */
			}
		});
		try {
			await c.connect();
			await c.query(`listen ${CHANNEL}`);
			delay = 500;
			listening();
		} catch {
			retry(c);
		}
	};
	const retry = (c: pg.Client) => {
		if (closed || client !== c) return;
		client = null;
		c.end().catch(() => {});
		setTimeout(connect, delay).unref();
		delay = Math.min(delay * 2, 30_000);
	};
	void connect();
	return {
		ready,
		close: () => {
			closed = true;
			client?.end().catch(() => {});
		}
	};
}
