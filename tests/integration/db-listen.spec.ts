// The LISTEN/NOTIFY helper behind agent revocation and ended sessions: messages arrive as parsed JSON, other
// channels and non-JSON payloads are ignored, and a listener whose connection dies listens again by itself.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { listen, notify, type Listener } from '../../src/server/db/listen';

const kinds = await dbKinds();

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

describe.runIf(kinds.includes('postgres'))('LISTEN/NOTIFY on PostgreSQL', () => {
	let database: Awaited<ReturnType<typeof freshPostgres>>;
	let pool: pg.Pool;
	const listeners: Listener[] = [];

	beforeAll(async () => {
		database = await freshPostgres();
		pool = new pg.Pool({ connectionString: database.url, max: 2 });
	});
	afterAll(async () => {
		for (const l of listeners) l.close();
		await pool.end();
		await database.drop();
	});

	it('delivers JSON messages on its own channel only, and skips payloads that are not JSON', async () => {
		const got: unknown[] = [];
		const l = listen(pool, 'fleetdesk_test_a', (m) => got.push(m));
		listeners.push(l);
		await l.ready;
		await notify(pool, 'fleetdesk_test_b', { n: 0 });
		await pool.query(`select pg_notify('fleetdesk_test_a', 'not json')`);
		await notify(pool, 'fleetdesk_test_a', { n: 1 });
		await notify(pool, 'fleetdesk_test_a', { n: 2, list: ['x'] });
		await until(() => got.length >= 2, 'two messages');
		// Notifications from one session arrive in order; nothing else slipped in before them.
		expect(got).toEqual([{ n: 1 }, { n: 2, list: ['x'] }]);
	});

	it('refuses a channel name that is not a plain identifier', async () => {
		expect(() => listen(pool, 'x; drop table y', () => {})).toThrow(/not a valid channel name/);
		await expect(notify(pool, 'Bad-Name', {})).rejects.toThrow(/not a valid channel name/);
	});

	it('listens again after its connection is killed', async () => {
		const got: unknown[] = [];
		const l = listen(pool, 'fleetdesk_test_c', (m) => got.push(m));
		listeners.push(l);
		await l.ready;
		const killed = await pool.query(
			`select pg_terminate_backend(pid) as ok from pg_stat_activity
			 where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen fleetdesk_test_c%'`
		);
		expect(killed.rowCount).toBe(1);
		// The first retry waits 500 ms; keep notifying until the new connection hears one.
		const end = Date.now() + 15_000;
		while (!got.length && Date.now() < end) {
			await notify(pool, 'fleetdesk_test_c', { back: true });
			await new Promise((r) => setTimeout(r, 200));
		}
		expect(got[0]).toEqual({ back: true });
	});

	it('hears nothing after close', async () => {
		const got: unknown[] = [];
		const l = listen(pool, 'fleetdesk_test_d', (m) => got.push(m));
		await l.ready;
		l.close();
		await notify(pool, 'fleetdesk_test_d', { late: true });
		// A listener still open on the same channel proves the notification was sent and delivered.
		const witness: unknown[] = [];
		const w = listen(pool, 'fleetdesk_test_d', (m) => witness.push(m));
		listeners.push(w);
		await w.ready;
		await notify(pool, 'fleetdesk_test_d', { late: true });
		await until(() => witness.length > 0, 'the witness');
		expect(got).toEqual([]);
	});
});
