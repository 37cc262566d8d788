import type pg from 'pg';
import { listen, notify, type Listener } from '../db/listen';

/**
 * Tells every app node that sessions ended when the change came from outside a node (the CLI on
 * PostgreSQL). Inside a node the Socket.IO adapter already spans nodes; this covers the one writer
 * that has no Socket.IO server.
 */
const CHANNEL = 'fleetdesk_sessions_ended';

export interface SessionsEnded {
	userId: number | null;
	sessionIds: string[];
	reason: string;
}

export async function publishSessionsEnded(pool: pg.Pool, e: SessionsEnded): Promise<void> {
	await notify(pool, CHANNEL, e);
}

/** Listens on a dedicated connection, reconnecting with backoff if the database goes away. */
export function listenSessionsEnded(pool: pg.Pool, onEvent: (e: SessionsEnded) => void): Listener {
	return listen(pool, CHANNEL, (msg) => {
		const e = msg as SessionsEnded;
		if (Array.isArray(e?.sessionIds)) onEvent(e);
	});
}

/** Who may do what changed (grants, roles, a user's roles, device groups): every node drops what it cached. */
const ACCESS_CHANNEL = 'fleetdesk_access_changed';

/** `from`: the node (or "cli") that changed it; that node has acted on it already. */
export async function publishAccessChanged(pool: pg.Pool, from: string): Promise<void> {
	await notify(pool, ACCESS_CHANNEL, { from });
}

/** Calls `onEvent` for changes made elsewhere than `self`. */
export function listenAccessChanged(pool: pg.Pool, self: string, onEvent: () => void): Listener {
	return listen(pool, ACCESS_CHANNEL, (msg) => {
		if ((msg as { from?: unknown })?.from !== self) onEvent();
	});
}
