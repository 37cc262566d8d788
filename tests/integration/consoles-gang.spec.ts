// Gang connect with a real server, real agents and real PTYs: one socket joins five consoles on three devices
// (small scrollback each); input typed once runs in every console the user may write to, while a console
// they may only view and one whose keyboard someone else holds are skipped with the reason and get nothing;
// the output comes back per console; and every console's access log has the input under the user's name.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, caller, signIn, startServer, type RunningServer } from '../helpers/server';
import { buildAgent, until, type RunningAgent } from '../helpers/agents';
import { connectDesktop } from '../helpers/socket';
import { readAccessLog, shellAgent, SHELL_TARGET, viewer, type Viewer } from '../helpers/consoles';
import type { GangInputAck, GangMember, GangOpenAck } from '../../src/lib/protocol/gang';

describe.each(await dbKinds())('gang connect on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let admin: string;
	let gina: string;
	const agents: RunningAgent[] = [];
	const ids: Record<string, number> = {};
	const watchers: Record<string, Viewer> = {};
	let gang: Socket;
	let members: GangMember[] = [];
	/** Output the gang socket got, per console. */
	const seen = new Map<number, string>();

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const call = caller(server, admin);
		const web = (await call<{ id: number }>('groups.create', { name: 'gang-web' }, 'mutation')).id;
		const db = (await call<{ id: number }>('groups.create', { name: 'gang-db' }, 'mutation')).id;
		const devices: number[] = [];
		for (const group of [web, web, db]) {
			const a = await shellAgent(server, admin, group);
			agents.push(a.agent);
			devices.push(a.deviceId);
		}
		// gina may type on the web group and only look at the db group
		const role = await call<{ id: number }>(
			'roles.create',
			{ name: 'gangers', permissions: ['desktop.use'] },
			'mutation'
		);
		await call(
			'grants.set',
			{ roleId: role.id, groupId: web, actions: ['console.view', 'console.write'] },
			'mutation'
		);
		await call('grants.set', { roleId: role.id, groupId: db, actions: ['console.view'] }, 'mutation');
		const password = 'gina-password-long-enough';
		await call('users.create', { username: 'gina', password, roleIds: [role.id] }, 'mutation');
		gina = await signIn(server.url, 'gina', password);

		const make = async (name: string, deviceId: number, extra: object = {}) => {
			ids[name] = (
				await call<{ id: number }>(
					'consoles.create',
					{ name, deviceId, target: SHELL_TARGET, ...extra },
					'mutation'
				)
			).id;
			const v = await viewer(server.url, admin, ids[name]);
			expect((await v.join()).ok).toBe(true);
			await v.waitForRoom((r) => r.state === 'open');
			// admin holds the keyboard of the one-writer console
			if ('oneWriter' in extra) expect(await v.control('request')).toEqual({ ok: true });
			expect(await v.type(`echo ready-${name}\n`)).toEqual({ ok: true });
			await v.waitFor(new RegExp(`\\nready-${name}`));
			watchers[name] = v;
		};
		await make('web1-a', devices[0]);
		await make('web1-b', devices[0]);
		await make('web2', devices[1]);
		await make('web2-locked', devices[1], { oneWriter: true });
		await make('db1', devices[2]);
		await watchers['web2-locked'].waitForRoom((r) => r.writer?.username === 'admin');
	});
	afterAll(async () => {
		gang?.close();
		for (const v of Object.values(watchers)) v.close();
		for (const a of agents) await a.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('joins every console with a small scrollback and says which ones input will skip, and why', async () => {
		gang = await connectDesktop(server.url, gina);
		gang.on('console:output', (m: { consoleId: number; data: ArrayBuffer }) =>
			seen.set(m.consoleId, (seen.get(m.consoleId) ?? '') + Buffer.from(m.data).toString('utf8'))
		);
		const all = Object.values(ids);
		const ack = (await gang
			.timeout(30_000)
			.emitWithAck('gang:open', { consoleIds: [...all, 999_999] })) as GangOpenAck;
		expect(ack.ok, JSON.stringify(ack)).toBe(true);
		members = (ack as Extract<GangOpenAck, { ok: true }>).members;
		const by = (name: string) => members.find((m) => m.consoleId === ids[name])!;
		for (const name of ['web1-a', 'web1-b', 'web2']) {
			expect(by(name)).toMatchObject({ name, mode: 'write', skip: null });
			expect(Buffer.from(by(name).scrollback).toString()).toContain(`ready-${name}`);
			expect(by(name).scrollback.byteLength).toBeLessThanOrEqual(4096);
		}
		expect(by('db1')).toMatchObject({ mode: 'view', skip: { reason: 'no-write' } });
		expect(by('web2-locked')).toMatchObject({ mode: 'write', skip: { reason: 'not-writer' } });
		expect(by('web2-locked').skip!.message).toMatch(/admin holds the keyboard/);
		expect(members.find((m) => m.consoleId === 999_999)).toMatchObject({
			mode: null,
			name: '',
			skip: { reason: 'no-view' }
		});
		// gina is a participant of each room she joined
		await watchers.db1.waitForRoom((r) =>
			r.participants.some((p) => p.username === 'gina' && p.mode === 'view')
		);
		await watchers.web2.waitForRoom((r) =>
			r.participants.some((p) => p.username === 'gina' && p.mode === 'write')
		);
	});

	it('refuses more than 200 consoles in one gang', async () => {
		const many = Array.from({ length: 201 }, (_, i) => 100_000 + i);
		const ack = (await gang.timeout(10_000).emitWithAck('gang:open', { consoleIds: many })) as GangOpenAck;
		expect(ack).toEqual({ ok: false, error: 'A gang holds at most 200 consoles: choose fewer.' });
	});

	it('input typed once runs in every console gina may write to; the others get nothing', async () => {
		const ack = (await gang
			.timeout(10_000)
			.emitWithAck('gang:input', { data: 'echo gang-$((6*7))-$$\r' })) as GangInputAck;
		expect(ack.ok, JSON.stringify(ack)).toBe(true);
		const ok = ack as Extract<GangInputAck, { ok: true }>;
		expect(ok.sent).toBe(3);
		expect(ok.skipped.map((s) => [s.consoleId, s.reason]).sort()).toEqual(
			[
				[ids.db1, 'no-write'],
				[ids['web2-locked'], 'not-writer']
			].sort()
		);
		// each PTY ran it: its own shell's pid follows, so three different processes answered
		const pids = new Set<string>();
		for (const name of ['web1-a', 'web1-b', 'web2']) {
			const text = await watchers[name].waitFor(/\ngang-42-\d+/);
			pids.add(/\ngang-42-(\d+)/.exec(text)![1]);
			await until(async () => /\ngang-42-\d+/.test(seen.get(ids[name]) ?? ''));
		}
		expect(pids.size).toBe(3);
		// the skipped ones: admin types a marker after, and the gang's line is not there
		for (const name of ['db1', 'web2-locked']) {
			await watchers[name].type(`echo marker-${name}\n`);
			await watchers[name].waitFor(new RegExp(`\\nmarker-${name}`));
			expect(watchers[name].text).not.toMatch(/gang-/);
		}
	});

	it('sends only to the consoles asked for, and answers a resync join with fresh output', async () => {
		const ack = (await gang
			.timeout(10_000)
			.emitWithAck('gang:input', { data: 'echo only-$((7*7))\r', consoleIds: [ids.web2] })) as GangInputAck;
		expect(ack).toEqual({ ok: true, sent: 1, skipped: [] });
		await watchers.web2.waitFor(/\nonly-49/);
		await watchers['web1-a'].type('echo check-a\n');
		await watchers['web1-a'].waitFor(/\ncheck-a/);
		expect(watchers['web1-a'].text).not.toMatch(/only-49/);
		const again = (await gang
			.timeout(10_000)
			.emitWithAck('gang:open', { consoleIds: [ids.web2] })) as GangOpenAck;
		expect(again.ok).toBe(true);
		const m = (again as Extract<GangOpenAck, { ok: true }>).members[0];
		expect(Buffer.from(m.scrollback).toString()).toMatch(/only-49/);
	});

	it('takes the keyboard on a one-writer console and types there too once gina holds it', async () => {
		await watchers['web2-locked'].control('release');
		const r = await gang
			.timeout(10_000)
			.emitWithAck('console:control', { consoleId: ids['web2-locked'], action: 'request' });
		expect(r).toEqual({ ok: true });
		await watchers['web2-locked'].waitForRoom((x) => x.writer?.username === 'gina');
		const ack = (await gang
			.timeout(10_000)
			.emitWithAck('gang:input', { data: 'echo lock-$((5*5))\r' })) as GangInputAck;
		expect(ack).toMatchObject({ ok: true, sent: 4 });
		await watchers['web2-locked'].waitFor(/\nlock-25/);
	});

	it('has the gang input in each console’s access log under gina’s name, and none where she may only view', async () => {
		await new Promise((r) => setTimeout(r, 500));
		gang.close();
		for (const v of Object.values(watchers)) v.close();
		for (const a of agents) await a.stop();
		await server.stop();
		const dbRef = { databaseUrl: pgdb?.url, dataDir: server.dataDir };
		for (const name of ['web1-a', 'web1-b', 'web2']) {
			const log = await readAccessLog(dbRef, ids[name]);
			const input = log.find((r) => r.kind === 'input' && r.data.toString().includes('gang-$((6*7))'));
			expect(input?.username, name).toBe('gina');
			const events = log
				.filter((r) => r.kind === 'event')
				.map((r) => ({ ...JSON.parse(r.data.toString()), who: r.username }));
			expect(events).toContainEqual(expect.objectContaining({ event: 'join', who: 'gina', mode: 'write' }));
			expect(events).toContainEqual(expect.objectContaining({ event: 'gang', action: 'join', who: 'gina' }));
		}
		const db1 = await readAccessLog(dbRef, ids.db1);
		expect(db1.some((r) => r.kind === 'input' && r.username === 'gina')).toBe(false);
		const locked = await readAccessLog(dbRef, ids['web2-locked']);
		const gInputs = locked
			.filter((r) => r.kind === 'input' && r.username === 'gina')
			.map((r) => r.data.toString());
		expect(gInputs).toEqual(['echo lock-$((5*5))\r']);
	});
});
