// `fleetdesk-agent simulate` against a real server process: 200 virtual agents enrol through POST /enroll and
// hold 200 mutual-TLS links. The server is killed (SIGKILL) while reports stream in and restarted on the same
// data and agent port: every agent reconnects within the backoff window, nothing buffered is lost and
// nothing is applied twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { buildAgent, tempDir, until } from '../helpers/agents';
import { startSimulation, type RunningSimulation } from '../helpers/simulate';

const COUNT = 200;
/**
 * A short outage (the restart takes a few seconds) brings every agent's wait near the cap, so their
 * reconnects spread over [0, capMs) after the server is back: 8 s keeps 200 arrivals within what the
 * embedded database handles (about 35 links a second, see docs/benchmarks.md B1).
 */
const RECONNECT = { baseMs: 500, capMs: 8000 };
/**
 * Once the server is back, each agent's pending wait is at most capMs (full jitter never waits longer), and
 * the attempt after it finds the server up. The allowance is the server's work for the last arrivals: TLS,
 * lease, hello, and the ~1,000 buffered reports it applies meanwhile (on PGlite, one at a time; measured
 * 4–12 s on a busy 2-core machine).
 */
const BACKOFF_WINDOW_MS = RECONNECT.capMs;
const CONNECT_ALLOWANCE_MS = 10_000;

interface AgentRow {
	id: string;
	hostname: string;
	online: boolean;
}
interface EventRow {
	seq: number;
	message: string;
}

describe.each(await dbKinds())(`simulate: ${COUNT} virtual agents on %s`, (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let env: Record<string, string>;
	let sim: RunningSimulation | null = null;

	const call = async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query') => {
		const r = await trpcCall(server.url, cookie, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const simAgents = async () =>
		(await call<AgentRow[]>('agents.list')).filter((a) => /^sim-\d{4}$/.test(a.hostname));

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		// The same node id after the restart: the restarted node clears the leases its killed self left.
		env = { FLEETDESK_NODE_ID: 'simulate-node', ...(pgdb ? { DATABASE_URL: pgdb.url } : {}) };
		server = await startServer(env);
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
	});
	afterAll(async () => {
		await sim?.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('all go online; after the server is killed and restarted they reconnect within the backoff window, and every buffered report is applied exactly once', async () => {
		const groupId = (await call<{ id: number }>('groups.create', { name: 'simulated' }, 'mutation')).id;
		const { token } = await call<{ token: string }>(
			'agents.tokens.create',
			{ groupId, ttlSeconds: 600, uses: COUNT },
			'mutation'
		);
		sim = startSimulation({
			server: `https://127.0.0.1:${server.agentPort}`,
			token,
			count: COUNT,
			dir: tempDir('fleetdesk-sim-'),
			config: { reconnect: RECONNECT, heartbeatSeconds: 5 },
			// each virtual agent enrols from its own loopback address, as 200 hosts would
			args: ['--source-net', '127.77.0.0/16', '--rate', '200', '--status-seconds', '5', '--modules', 'tasks']
		});
		const t0 = Date.now();
		await sim.waitFor(/all 200 agents online/, 50_000);
		console.log(`${kind}: ${COUNT} agents enrolled and online in ${Date.now() - t0} ms`);
		const listed = await simAgents();
		expect(listed.length).toBe(COUNT);
		expect(new Set(listed.map((a) => a.hostname)).size).toBe(COUNT);
		await until(async () => (await simAgents()).every((a) => a.online), 10_000);

		// Reports stream in (one event per agent every 400 ms); the server dies in the middle of it.
		let tick = 0;
		const sendTick = () => sim!.send(`event tick-${++tick}`);
		const ticker = setInterval(sendTick, 400);
		try {
			await new Promise((r) => setTimeout(r, 1300));
			await server.stop('SIGKILL');
			await new Promise((r) => setTimeout(r, 1700));
		} finally {
			clearInterval(ticker);
		}
		const down = await sim.status();
		expect(down.online).toBe(0);
		// what this test is about: reports waiting in the agents' buffers while the server is gone
		expect(down.queued).toBeGreaterThan(0);

		const markRestart = sim.output().length;
		server = await startServer({
			...env,
			...(pgdb ? {} : { FLEETDESK_DATA_DIR: server.dataDir }),
			FLEETDESK_AGENT_PORT: String(server.agentPort)
		});
		const tUp = Date.now();
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const tAll = await sim.waitFor(
			/all 200 agents online/,
			BACKOFF_WINDOW_MS + CONNECT_ALLOWANCE_MS + 20_000,
			markRestart
		);
		const reconnectMs = tAll - tUp;
		console.log(
			`${kind}: all ${COUNT} agents back ${reconnectMs} ms after the server was up (cap ${RECONNECT.capMs} ms)`
		);
		expect(reconnectMs).toBeLessThanOrEqual(BACKOFF_WINDOW_MS + CONNECT_ALLOWANCE_MS);

		// Everything buffered drains; then each agent has each tick exactly once, in order.
		const tDrain = Date.now();
		await until(async () => (await sim!.status()).queued === 0, 30_000);
		console.log(`${kind}: buffers drained in ${Date.now() - tDrain} ms`);
		const tCheck = Date.now();
		const final = await sim.status();
		expect(final.dropped).toBe(0);
		const ids = (await simAgents()).map((a) => a.id);
		expect(ids.length).toBe(COUNT);
		const ticks = Array.from({ length: tick }, (_, i) => `tick-${i + 1}`);
		const check = async (id: string) => {
			const events = (await call<EventRow[]>('agents.events', { id, limit: 1000 })).reverse();
			const seqs = events.map((e) => e.seq);
			expect(new Set(seqs).size).toBe(seqs.length);
			expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
			expect(events.filter((e) => /virtual agent .* started/.test(e.message)).length).toBe(1);
			expect(events.filter((e) => e.message.startsWith('tick-')).map((e) => e.message)).toEqual(ticks);
			const a = await call<{ lastSeq: number }>('agents.get', { id });
			expect(a.lastSeq).toBe(seqs[seqs.length - 1]);
		};
		for (let i = 0; i < ids.length; i += 20) await Promise.all(ids.slice(i, i + 20).map(check));
		console.log(`${kind}: checked in ${Date.now() - tCheck} ms`);
		expect(await sim.stop()).toBe(0);
		sim = null;
	}, 120_000);
});
