// Signed tasks end to end, with a real server, real agent processes and real TLS: started from tRPC and the
// CLI, delivered over the link (also to an agent that comes online later), run, reported live and on record;
// refused by the agent when its config does not allow the kind; refused when the envelope was tampered with,
// expired, replayed or meant for another agent; and refused by the server without a grant on the device.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { openDatabase } from '../../src/server/db/client';
import { tasks } from '../../src/server/db/schema';
import { taskSigningKey } from '../../src/server/agents/pki';
import { signTask } from '../../src/server/tasks/sign';
import type { SignedTask } from '../../src/lib/protocol/tasks';
import { connectDesktop } from '../helpers/socket';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import {
	buildAgent,
	cli,
	enrollWithNewToken,
	type RunningAgent,
	startAgent,
	tempDir,
	until
} from '../helpers/agents';

const FAST = { reconnect: { baseMs: 200, capMs: 1500 }, heartbeatSeconds: 5 };
const ALL_KINDS = { ...FAST, tasks: { allow: ['show', 'exec', 'inventory'] } };

interface Task {
	id: string;
	state: string;
	kind: string;
	exitCode: number | null;
	error: string | null;
	refusalReason: string | null;
	stdout: { text: string } | null;
	result: { table: string; rows: unknown[] } | null;
}

describe.each(await dbKinds())('signed tasks on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let cliEnv: Record<string, string>;
	let groupId: number;
	const running: RunningAgent[] = [];

	const call = async <T>(
		p: string,
		input?: unknown,
		type: 'query' | 'mutation' = 'query',
		as = cookie
	): Promise<T> => {
		const r = await trpcCall(server.url, as, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const enrolled = async () => {
		const { dir, agentId } = await enrollWithNewToken(server, cookie, groupId);
		const row = (await call<{ id: string; deviceId: number; deviceName: string }[]>('agents.list')).find(
			(a) => a.id === agentId
		)!;
		return { dir, agentId, deviceId: row.deviceId, deviceName: row.deviceName };
	};
	const run = (dir: string, config: object = ALL_KINDS) => {
		const a = startAgent(dir, config);
		running.push(a);
		return a;
	};
	const online = (id: string, want = true) =>
		until(
			async () =>
				(await call<{ id: string; online: boolean }[]>('agents.list')).find((a) => a.id === id)?.online ===
				want,
			10_000
		);
	const task = (id: string) => call<Task>('tasks.get', { id });
	const finished = (id: string, ms = 15_000) =>
		until(async () => {
			const t = await task(id);
			return ['succeeded', 'failed', 'refused', 'timed-out'].includes(t.state) ? t : null;
		}, ms);
	const start = (deviceId: number, kind: string, args: unknown, lifetimeMs?: number) =>
		call<{ id: string }>('tasks.run', { deviceId, kind, args, lifetimeMs }, 'mutation');

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		cliEnv = pgdb
			? { DATABASE_URL: pgdb.url, FLEETDESK_SECRET: 'fleetdesk-integration-tests-master-key-0001' }
			: { FLEETDESK_DATA_DIR: server.dataDir, DATABASE_URL: '' };
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		groupId = (await call<{ id: number }>('groups.create', { name: 'web' }, 'mutation')).id;
	});
	afterAll(async () => {
		for (const a of running) await a.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('runs show and exec on the agent, live in the desktop and on record, and from the CLI', async () => {
		const A = await enrolled();
		run(A.dir);
		await online(A.agentId);
		const desktop = await connectDesktop(server.url, cookie);
		const heard: { id: string; state: string; stdoutDelta?: string }[] = [];
		desktop.on('task:update', (e: (typeof heard)[number]) => heard.push(e));
		try {
			const show = await start(A.deviceId, 'show', { table: 'cpus' });
			const t = await finished(show.id);
			expect(t.state, t.error ?? '').toBe('succeeded');
			expect(t.result?.table).toBe('cpus');
			// the agent runs on this machine: one row per CPU
			expect(t.result?.rows).toHaveLength(os.cpus().length);
			await until(async () => heard.some((e) => e.id === show.id && e.state === 'succeeded'));
			expect(heard.filter((e) => e.id === show.id).map((e) => e.state)).toEqual(
				expect.arrayContaining(['queued', 'running', 'succeeded'])
			);

			// exec: no shell; stdin goes in, stdout comes back; a failing program is "failed" with its code
			const cat = await finished(
				(await start(A.deviceId, 'exec', { command: 'cat', stdin: 'hello; $(id)' })).id
			);
			expect(cat).toMatchObject({ state: 'succeeded', exitCode: 0, stdout: { text: 'hello; $(id)' } });
			const no = await finished((await start(A.deviceId, 'exec', { command: 'false' })).id);
			expect(no).toMatchObject({ state: 'failed', exitCode: 1 });

			// bad arguments are refused by the server before anything is signed, naming the field
			const bad = await trpcCall(
				server.url,
				cookie,
				'tasks.run',
				{
					deviceId: A.deviceId,
					kind: 'show',
					args: { table: 'disks' }
				},
				'mutation'
			);
			expect(bad.status).toBe(400);
			expect(JSON.stringify(bad.body)).toMatch(/table/);

			// the admin CLI starts a task by device name and prints the table
			const r = await cli(
				['task', 'run', '--device', A.deviceName, '--kind', 'show', '--arg', 'memory'],
				cliEnv
			);
			expect(r.code, r.stderr + r.stdout).toBe(0);
			expect(r.stdout).toMatch(/succeeded/);
			expect(r.stdout).toMatch(/MEMORY\s+TOTAL\s+USED\s+FREE/);
			expect(r.stdout).toMatch(/^real\s/m);
			const list = await cli(['task', 'list', '--device', A.deviceName], cliEnv);
			expect(list.stdout.split('\n').filter((l) => /succeeded/.test(l)).length).toBeGreaterThanOrEqual(3);

			// the history of the device, newest first
			const hist = await call<{ id: string; createdBy: string }[]>('tasks.list', { deviceId: A.deviceId });
			// (the server's own logs-config task for the agent may come first, so find ours rather than assume)
			const showAt = hist.findIndex((h) => h.id === show.id);
			const cliAt = hist.findIndex((h) => h.createdBy.startsWith('cli:'));
			expect(showAt).toBeGreaterThan(-1);
			expect(cliAt).toBeGreaterThan(-1);
			expect(cliAt).toBeLessThan(showAt);
		} finally {
			desktop.close();
		}
	});

	it('is refused by an agent whose config does not allow the kind', async () => {
		const B = await enrolled();
		const b = run(B.dir, FAST); // default allowlist: inventory and show
		await online(B.agentId);
		const t = await finished((await start(B.deviceId, 'exec', { command: 'id' })).id);
		expect(t).toMatchObject({ state: 'refused', refusalReason: 'kind-not-allowed' });
		expect(t.error).toMatch(/configuration does not allow/);
		await b.waitFor(/refused task .*kind-not-allowed/);
	});

	it('waits for an offline agent and delivers the task when it connects', async () => {
		const C = await enrolled();
		const waiting = await start(C.deviceId, 'show', { table: 'memory' });
		expect((await task(waiting.id)).state).toBe('queued');
		run(C.dir);
		const t = await finished(waiting.id);
		expect(t.state).toBe('succeeded');
	});

	it('checks the grant on the device, on the server', async () => {
		const D = await enrolled();
		const dbGroup = (await call<{ id: number }>('groups.create', { name: 'db' }, 'mutation')).id;
		const role = await call<{ id: number }>(
			'roles.create',
			{ name: 'db operators', permissions: ['desktop.use'] },
			'mutation'
		);
		await call('grants.set', { roleId: role.id, groupId: dbGroup, actions: ['tasks.run'] }, 'mutation');
		await call(
			'users.create',
			{ username: 'dora', password: 'long-enough-password', roleIds: [role.id] },
			'mutation'
		);
		const dora = await signIn(server.url, 'dora', 'long-enough-password');
		const refused = await trpcCall(
			server.url,
			dora,
			'tasks.run',
			{ deviceId: D.deviceId, kind: 'show', args: { table: 'cpus' } },
			'mutation'
		);
		expect(refused.status).toBe(403);
		expect(JSON.stringify(refused.body)).toMatch(/may not run tasks on this device/);
		const many = await call<{ started: unknown[]; skipped: { deviceId: number; reason: string }[] }>(
			'tasks.runMany',
			{ deviceIds: [D.deviceId], kind: 'show', args: { table: 'cpus' } },
			'mutation',
			dora
		);
		expect(many.started).toEqual([]);
		expect(many.skipped).toEqual([
			expect.objectContaining({ deviceId: D.deviceId, reason: expect.stringMatching(/may not/) })
		]);
		// a user without agents.read sees only the tasks they started
		expect(await call<unknown[]>('tasks.list', {}, 'query', dora)).toEqual([]);
		// nothing was queued for the device
		expect(await call<unknown[]>('tasks.list', { deviceId: D.deviceId })).toEqual([]);
	});

	// Needs the database from outside the server (to queue crafted envelopes): PostgreSQL only.
	if (kind === 'postgres')
		it('is refused by the agent when tampered with, expired, replayed or meant for another agent', async () => {
			const A = await enrolled();
			const B = await enrolled();
			// The test holds the master key, so it can sign with the server's own task key: every envelope
			// below is validly signed, and only the one property under test is wrong.
			const database = await openDatabase({ databaseUrl: pgdb!.url, dataDir: tempDir() });
			const key = await taskSigningKey({
				db: database.db,
				config: { secret: 'fleetdesk-integration-tests-master-key-0001', dataDir: tempDir() }
			});
			/** A row the gateway delivers; a replay needs a row id of its own (the envelope's is taken). */
			const queue = async (
				agentId: string,
				deviceId: number,
				signed: SignedTask,
				id = signed.envelope.id
			) => {
				await database.db.insert(tasks).values({
					id,
					agentId,
					deviceId,
					kind: signed.envelope.kind,
					args: signed.envelope.args,
					signed,
					createdBy: 'test',
					expiresAt: new Date(Date.now() + 3600_000)
				});
				await database.pool!.query(`select pg_notify('fleetdesk_agents', $1)`, [
					JSON.stringify({ type: 'deliver', agentId })
				]);
			};
			const sign = (agentId: string, extra: { now?: number; lifetimeMs?: number } = {}) =>
				signTask(key.privateKey, { agentId, kind: 'show', args: { table: 'memory' }, ...extra });
			try {
				const a = run(A.dir);
				const b = run(B.dir);
				await online(A.agentId);
				await online(B.agentId);

				const good = sign(A.agentId);
				await queue(A.agentId, A.deviceId, good);
				await a.waitFor(new RegExp(`task ${good.envelope.id} succeeded`));

				const tampered = sign(A.agentId);
				tampered.envelope.args = { table: 'processes' };
				await queue(A.agentId, A.deviceId, tampered);
				await a.waitFor(new RegExp(`refused task ${tampered.envelope.id}: bad-signature`));

				// issued 10 minutes ago for one minute: long past the 30 s of clock skew allowed
				const expired = sign(A.agentId, { now: Date.now() - 600_000, lifetimeMs: 60_000 });
				await queue(A.agentId, A.deviceId, expired);
				await a.waitFor(new RegExp(`refused task ${expired.envelope.id}: expired`));

				// the good envelope again, as if captured and replayed: to A, and to B
				await queue(A.agentId, A.deviceId, good, randomUUID());
				await a.waitFor(new RegExp(`refused task ${good.envelope.id}: replayed`));
				await queue(B.agentId, B.deviceId, good, randomUUID());
				await b.waitFor(new RegExp(`refused task ${good.envelope.id}: wrong-audience`));

				// the refusals are on record, with their reasons; the replays changed nothing
				const row = async (id: string) => (await database.db.select().from(tasks).where(eq(tasks.id, id)))[0];
				await until(async () => (await row(expired.envelope.id)).state === 'refused');
				expect(await row(tampered.envelope.id)).toMatchObject({
					state: 'refused',
					refusalReason: 'bad-signature'
				});
				expect(await row(expired.envelope.id)).toMatchObject({ refusalReason: 'expired' });
				expect(await row(good.envelope.id)).toMatchObject({ state: 'succeeded' });
				expect(a.output()).not.toMatch(new RegExp(`task ${tampered.envelope.id} succeeded`));
				expect(b.output()).not.toMatch(/succeeded/);
			} finally {
				await database.close();
			}
		});
});
