import pg from 'pg';

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
	await pool.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(e)]);
}

/** Listens on a dedicated connection, reconnecting with backoff if the database goes away. */
export function listenSessionsEnded(pool: pg.Pool, onEvent: (e: SessionsEnded) => void): { close(): void } {
	let client: pg.Client | null = null;
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
				const e = JSON.parse(msg.payload ?? '') as SessionsEnded;
				if (Array.isArray(e.sessionIds)) onEvent(e);
			} catch {
				/* not ours */
			}
		});
		try {
			await c.connect();
			await c.query(`listen ${CHANNEL}`);
			delay = 500;
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
		close: () => {
			closed = true;
			client?.end().catch(() => {});
		}
	};
}
