import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, ROOT, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { connectDesktop, nextEvent } from '../helpers/socket';

const onPostgres = (await dbKinds()).includes('postgres');

describe.runIf(onPostgres)('two app nodes on one PostgreSQL', () => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>>;
	let a: RunningServer;
	let b: RunningServer;

	beforeAll(async () => {
		pgdb = await freshPostgres();
		a = await startServer({ DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-a' });
		b = await startServer({ DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-b' });
	});
	afterAll(async () => {
		await a?.stop();
		await b?.stop();
		await pgdb?.drop();
	});

	it('both report PostgreSQL', async () => {
		for (const s of [a, b])
			expect(await (await fetch(`${s.url}/healthz`)).json()).toMatchObject({ status: 'ok', db: 'postgres' });
	});

	it('a notification raised through node A reaches a browser socket on node B', async () => {
		const onA = await signIn(a.url, 'admin', ADMIN_PASSWORD);
		const onB = await signIn(b.url, 'admin', ADMIN_PASSWORD);
		const socket = await connectDesktop(b.url, onB);
		const got = nextEvent<{ title: string; level: string }>(socket, 'notification');
		const res = await trpcCall(
			a.url,
			onA,
			'desktop.notify',
			{ audience: { type: 'all' }, title: 'Maintenance at 22:00', level: 'warning' },
			'mutation'
		);
		expect(res.status).toBe(200);
		expect(await got).toMatchObject({ title: 'Maintenance at 22:00', level: 'warning' });
		// node A counts the browser on node B
		const info = await trpcCall(a.url, onA, 'system.info');
		expect(
			(info.body.result!.data as { connectedBrowsers: number }).connectedBrowsers
		).toBeGreaterThanOrEqual(1);
		socket.close();
	});

	it('locking a user with the CLI disconnects their socket on whichever node holds it', async () => {
		const admin = await signIn(a.url, 'admin', ADMIN_PASSWORD);
		await trpcCall(
			a.url,
			admin,
			'users.create',
			{ username: 'paula', password: 'paula-password-1', roleIds: [2] },
			'mutation'
		);
		const paula = await signIn(b.url, 'paula', 'paula-password-1');
		const socket = await connectDesktop(b.url, paula);
		const gone = nextEvent(socket, 'disconnect', 8000);
		const r = spawnSync(process.execPath, [path.join(ROOT, 'build', 'cli.js'), 'user', 'lock', 'paula'], {
			cwd: ROOT,
			encoding: 'utf8',
			env: { ...process.env, DATABASE_URL: pgdb.url }
		});
		expect(r.stderr).toBe('');
		expect(r.stdout).toContain('Locked paula');
		await gone;
	});

	it('answers 503 on /healthz when the database is gone', async () => {
		const admin = new pg.Client({ connectionString: pgdb.url.replace(/\/[^/]+$/, '/postgres') });
		await admin.connect();
		const name = new URL(pgdb.url).pathname.slice(1);
		await admin.query(`drop database ${name} with (force)`);
		await admin.end();
		const res = await fetch(`${a.url}/healthz`);
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({ status: 'unavailable', db: 'postgres' });
	});
});
