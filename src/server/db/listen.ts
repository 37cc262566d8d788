// PostgreSQL LISTEN/NOTIFY for the few messages that must reach every app node from a writer that has no
// Socket.IO server (the CLI) or no other path (the node holding an agent's link).
import pg from 'pg';

export interface Listener {
	/** Settles once the first LISTEN is in place (never, while the database can't be reached). */
	ready: Promise<void>;
	close(): void;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

function checkChannel(channel: string): string {
	// LISTEN takes an identifier, not a parameter: only plain names ever reach the SQL.
	if (!CHANNEL_NAME.test(channel)) throw new Error(`"${channel}" is not a valid channel name.`);
	return channel;
}

/** Sends `payload` as JSON to every node listening on `channel`. */
export async function notify(pool: pg.Pool, channel: string, payload: unknown): Promise<void> {
	await pool.query('select pg_notify($1, $2)', [checkChannel(channel), JSON.stringify(payload)]);
}

/**
 * Listens on `channel` over a dedicated connection (a pooled one would be handed to others and lose the
 * LISTEN), reconnecting with backoff if the database goes away. Each notification's payload is parsed as
 * JSON and given to `onMessage`, which checks its shape; payloads that are not JSON are ignored.
 */
export function listen(pool: pg.Pool, channel: string, onMessage: (payload: unknown) => void): Listener {
	const name = checkChannel(channel);
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
			// The connection ends asynchronously: what arrives after close() is not delivered.
			if (closed || msg.channel !== name) return;
			try {
				onMessage(JSON.parse(msg.payload ?? ''));
			} catch {
				/* not ours */
			}
		});
		try {
			await c.connect();
			await c.query(`listen ${name}`);
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
