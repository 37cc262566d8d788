// Nothing lost: the server is killed (SIGKILL) while a console floods output; the agent keeps reading into
// its buffer, and after the restart it resends from what the access log committed. The log then holds every
// line once, in order, and viewers of the restarted server see the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, caller, signIn, startServer, type RunningServer } from '../helpers/server';
import { buildAgent, type RunningAgent } from '../helpers/agents';
import { readAccessLog, shellAgent, SHELL_TARGET, verifyLog, viewer, type Viewer } from '../helpers/consoles';

const LINES = 2000;

describe.each(await dbKinds())('a server killed mid-session on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let first: RunningServer;
	let second: RunningServer | null = null;
	let killed = false;
	let agent: RunningAgent;
	const open: Viewer[] = [];

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		first = await startServer({
			FLEETDESK_NODE_ID: 'restart-node',
			...(pgdb ? { DATABASE_URL: pgdb.url } : {})
		});
	});
	afterAll(async () => {
		for (const v of open) v.close();
		await agent?.stop();
		if (!killed) await first?.stop();
		await second?.stop();
		await pgdb?.drop();
	});

	it('keeps every output chunk exactly once across the crash', async () => {
		const admin = await signIn(first.url, 'admin', ADMIN_PASSWORD);
		const call = caller(first, admin);
		const groupId = (await call<{ id: number }>('groups.create', { name: 'crash' }, 'mutation')).id;
		let deviceId: number;
		({ agent, deviceId } = await shellAgent(first, admin, groupId));
		const { id } = await call<{ id: number }>(
			'consoles.create',
			{ name: 'crash-shell', deviceId, target: SHELL_TARGET },
			'mutation'
		);
		const v = await viewer(first.url, admin, id);
		open.push(v);
		expect((await v.join()).ok).toBe(true);
		await v.waitForRoom((r) => r.state === 'open');
		await v.type(
			`i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo line-$i; sleep 0.002; done; echo FIN-$((40*2))\n`
		);
		await v.waitFor(/line-200\r?\n/);
		await first.stop('SIGKILL');
		killed = true;
		await new Promise((r) => setTimeout(r, 1500)); // the agent reads on, into its buffer

		second = await startServer({
			FLEETDESK_NODE_ID: 'restart-node',
			FLEETDESK_DATA_DIR: first.dataDir,
			FLEETDESK_AGENT_PORT: String(first.agentPort),
			...(pgdb ? { DATABASE_URL: pgdb.url } : {})
		});
		const again = await viewer(second.url, admin, id);
		open.push(again);
		expect((await again.join()).ok).toBe(true);
		await again.waitFor(/FIN-80/, 60_000);
		await new Promise((r) => setTimeout(r, 500));

		for (const x of open) x.close();
		await agent.stop();
		await second.stop();
		const log = await readAccessLog({ databaseUrl: pgdb?.url, dataDir: first.dataDir }, id);
		const output = log.filter((r) => r.kind === 'output');
		const seqs = output.map((r) => r.agentSeq!);
		expect(new Set(output.map((r) => r.pipeId)).size).toBe(1);
		expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
		const text = Buffer.concat(output.map((r) => r.data)).toString();
		const lines = [...text.matchAll(/line-(\d+)\r?\n/g)].map((m) => Number(m[1]));
		expect(lines).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
		expect(text).toMatch(/FIN-80/);
		expect(log.map((r) => r.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
		// and the hash chain over all of it verifies
		const verdict = await verifyLog({ databaseUrl: pgdb?.url, dataDir: first.dataDir }, id);
		expect(verdict.ok, JSON.stringify(verdict.consoles[0]?.problem)).toBe(true);
		expect(verdict.records).toBe(log.length);
	});
});
