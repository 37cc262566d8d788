// A console room across two app nodes on one PostgreSQL: the agent is linked to node A, browsers on node B
// join, type and see output (through the PostgreSQL adapter), the participants span both nodes, and an
// on-demand console opened from B closes a while after B's last viewer left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, caller, signIn, startServer, type RunningServer } from '../helpers/server';
import { buildAgent, until, type RunningAgent } from '../helpers/agents';
import { shellAgent, SHELL_TARGET, userWith, viewer, type Viewer } from '../helpers/consoles';

const onPostgres = (await dbKinds()).includes('postgres');

if (onPostgres)
	describe('console rooms across two app nodes', () => {
		let pgdb: Awaited<ReturnType<typeof freshPostgres>>;
		let a: RunningServer;
		let b: RunningServer;
		let agent: RunningAgent;
		let deviceId: number;
		let groupId: number;
		const open: Viewer[] = [];

		beforeAll(async () => {
			buildAgent();
			pgdb = await freshPostgres();
			// on-demand consoles close 3 s after their last viewer left (30 s by default)
			const idle = { FLEETDESK_CONSOLE_IDLE_SECONDS: '3' };
			a = await startServer({ DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-a', ...idle });
			b = await startServer({ DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-b', ...idle });
			const admin = await signIn(a.url, 'admin', ADMIN_PASSWORD);
			groupId = (await caller(a, admin)<{ id: number }>('groups.create', { name: 'dc' }, 'mutation')).id;
			({ agent, deviceId } = await shellAgent(a, admin, groupId)); // enrolled and linked to node A
		});
		afterAll(async () => {
			for (const v of open) v.close();
			await agent?.stop();
			await a?.stop();
			await b?.stop();
			await pgdb?.drop();
		});

		it('a browser on node B joins, types and sees output of a pipe on node A', async () => {
			const onA = await signIn(a.url, 'admin', ADMIN_PASSWORD);
			const { id } = await caller(a, onA)<{ id: number }>(
				'consoles.create',
				{ name: 'dc-shell', deviceId, target: SHELL_TARGET },
				'mutation'
			);
			const va = await viewer(a.url, onA, id);
			open.push(va);
			expect((await va.join()).ok).toBe(true);
			await va.waitForRoom((r) => r.state === 'open');
			await va.type('echo before-b-$((1+1))\n');
			await va.waitFor(/before-b-2/);

			const bob = await userWith(b, onA, 'bob', groupId, ['console.view', 'console.write']);
			const vb = await viewer(b.url, bob.cookie, id);
			open.push(vb);
			const ack = await vb.join();
			expect(ack.ok).toBe(true);
			expect(vb.text).toMatch(/before-b-2/); // scrollback from node A's ring
			expect(await vb.type('echo from-node-b-$((20+22))\n')).toEqual({ ok: true });
			await vb.waitFor(/from-node-b-42/);
			await va.waitFor(/from-node-b-42/);
			// a burst in order, seen the same on both nodes
			await va.type(
				'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo n-$i; done; echo end-$((9*9))\n'
			);
			await vb.waitFor(/end-81/);
			const seen = [...vb.text.matchAll(/n-(\d+)\r?\n/g)].map((m) => Number(m[1]));
			expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
			// both nodes list both users
			await va.waitForRoom((r) =>
				['admin', 'bob'].every((u) => r.participants.some((p) => p.username === u))
			);
			await vb.waitForRoom((r) =>
				['admin', 'bob'].every((u) => r.participants.some((p) => p.username === u))
			);
			vb.close();
			await va.waitForRoom((r) => !r.participants.some((p) => p.username === 'bob'));
		});

		it('an on-demand console opens when a browser on node B joins, and closes after B leaves', async () => {
			const onB = await signIn(b.url, 'admin', ADMIN_PASSWORD);
			const call = caller(b, onB);
			const { id } = await call<{ id: number; state: string }>(
				'consoles.create',
				{ name: 'dc-demand', deviceId, target: SHELL_TARGET, persistent: false },
				'mutation'
			);
			expect((await call<{ state: string }>('consoles.get', { id })).state).toBe('stopped');
			const v = await viewer(b.url, onB, id);
			open.push(v);
			expect((await v.join()).ok).toBe(true);
			await v.waitForRoom((r) => r.state === 'open');
			await v.type('echo demand-$((3+4))\n');
			await v.waitFor(/demand-7/);
			v.close();
			await until(
				async () => (await call<{ state: string }>('consoles.get', { id })).state === 'stopped',
				20_000
			);
			const closed = await call<{ message: string | null }>('consoles.get', { id });
			expect(closed.message).toBe('Closed after 3 s without viewers; it opens again when someone joins.');
		}, 90_000);
	});
