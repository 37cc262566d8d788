// Macros with a real server, a real agent and real PTYs: the library shared per role (owner and managers
// edit, shared roles play); playback run by the server into one console and into a gang; a wait-for step
// that holds the next line back until the output shows the pattern (not the echo of the command); a wait
// that times out and stops with a clear status; a stop mid-macro; a run that goes on when the browser
// closes; recording the lines typed; on PostgreSQL, a wait-for on a node other than the agent's; and the
// access log: the input under the player's name, the run's start and end.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, caller, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { buildAgent, until, type RunningAgent } from '../helpers/agents';
import { connectDesktop } from '../helpers/socket';
import { readAccessLog, shellAgent, SHELL_TARGET, viewer, type Viewer } from '../helpers/consoles';
import type { MacroInput, MacroPlayAck, MacroRun, MacroView } from '../../src/lib/protocol/gang';

type Progress = { runId: string; consoles: MacroRun['consoles'] };

/** A /desktop socket of one user that collects the macro events it is sent. */
async function player(url: string, cookie: string) {
	const socket = await connectDesktop(url, cookie);
	const runs = new Map<string, MacroRun>();
	const progress: Progress[] = [];
	socket.on('macro:run', (r: MacroRun) => runs.set(r.runId, r));
	socket.on('macro:progress', (p: Progress) => progress.push(p));
	const play = async (macroId: number, consoleIds: number[]) => {
		const ack = (await socket
			.timeout(15_000)
			.emitWithAck('macro:play', { macroId, consoleIds })) as MacroPlayAck;
		if (!ack.ok) throw new Error(ack.error);
		return ack.run;
	};
	const ended = (runId: string, ms = 30_000) =>
		until(async () => {
			const r = runs.get(runId);
			return r && r.state !== 'running' ? r : null;
		}, ms);
	return { socket, runs, progress, play, ended };
}

describe.each(await dbKinds())('macros on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let admin: string;
	let milo: string;
	let nina: string;
	let operators: number;
	let agent: RunningAgent;
	let other: RunningAgent;
	const ids: Record<string, number> = {};
	const watch: Record<string, Viewer> = {};
	const sockets: Socket[] = [];
	let call: ReturnType<typeof caller>;
	let asMilo: ReturnType<typeof caller>;

	const macro = (m: MacroInput, as = asMilo) => as<MacroView>('macros.create', m, 'mutation');
	const console_ = async (name: string, deviceId: number) => {
		ids[name] = (
			await call<{ id: number }>('consoles.create', { name, deviceId, target: SHELL_TARGET }, 'mutation')
		).id;
		const v = await viewer(server.url, admin, ids[name]);
		expect((await v.join()).ok).toBe(true);
		await v.waitForRoom((r) => r.state === 'open');
		watch[name] = v;
	};

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url, FLEETDESK_NODE_ID: 'node-a' } : {});
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		call = caller(server, admin);
		const lab = (await call<{ id: number }>('groups.create', { name: 'macro-lab' }, 'mutation')).id;
		const prod = (await call<{ id: number }>('groups.create', { name: 'macro-prod' }, 'mutation')).id;
		let deviceId: number;
		({ agent, deviceId } = await shellAgent(server, admin, lab));
		const prodAgent = await shellAgent(server, admin, prod);
		other = prodAgent.agent;
		const role = await call<{ id: number }>(
			'roles.create',
			{ name: 'macro players', permissions: ['desktop.use'] },
			'mutation'
		);
		await call(
			'grants.set',
			{ roleId: role.id, groupId: lab, actions: ['console.view', 'console.write'] },
			'mutation'
		);
		await call('grants.set', { roleId: role.id, groupId: prod, actions: ['console.view'] }, 'mutation');
		operators = (
			await call<{ id: number }>(
				'roles.create',
				{ name: 'night shift', permissions: ['desktop.use'] },
				'mutation'
			)
		).id;
		await call(
			'grants.set',
			{ roleId: operators, groupId: lab, actions: ['console.view', 'console.write'] },
			'mutation'
		);
		await call(
			'users.create',
			{ username: 'milo', password: 'milo-password-long-enough', roleIds: [role.id] },
			'mutation'
		);
		await call(
			'users.create',
			{ username: 'nina', password: 'nina-password-long-enough', roleIds: [operators] },
			'mutation'
		);
		milo = await signIn(server.url, 'milo', 'milo-password-long-enough');
		nina = await signIn(server.url, 'nina', 'nina-password-long-enough');
		asMilo = caller(server, milo);
		for (const name of ['m1', 'm2', 'm3']) await console_(name, deviceId);
		await console_('p1', prodAgent.deviceId);
	});
	afterAll(async () => {
		for (const s of sockets) s.close();
		for (const v of Object.values(watch)) v.close();
		await agent?.stop();
		await other?.stop();
		await server?.stop();
		await pgdb?.drop();
	});

	it('keeps macros in a library: the owner and managers edit, roles it is shared with play', async () => {
		const m = await macro({ name: 'uptime', steps: [{ type: 'send', text: 'uptime' }] });
		expect(m).toMatchObject({ name: 'uptime', canEdit: true, owner: { username: 'milo' }, sharedRoles: [] });
		const asNina = caller(server, nina);
		expect((await asNina<MacroView[]>('macros.list')).map((x) => x.name)).not.toContain('uptime');
		await asMilo(
			'macros.update',
			{ id: m.id, name: 'uptime', steps: m.steps, sharedRoleIds: [operators] },
			'mutation'
		);
		const seen = (await asNina<MacroView[]>('macros.list')).find((x) => x.id === m.id);
		expect(seen).toMatchObject({ canEdit: false, sharedRoles: [{ name: 'night shift' }] });
		const denied = await trpcCall(
			server.url,
			nina,
			'macros.update',
			{ id: m.id, name: 'x', steps: m.steps },
			'mutation'
		);
		expect(denied.status).toBe(403);
		expect(denied.body.error!.message).toMatch(/Only the owner/);
		// a manager may change it; every change is audited with the roles it is shared with
		await call(
			'macros.update',
			{ id: m.id, name: 'uptime', description: 'load', steps: m.steps, sharedRoleIds: [] },
			'mutation'
		);
		expect(await asNina<MacroView[]>('macros.list')).toEqual([]);
		const audit = await call<{ action: string; actorName: string }[]>('audit.list', { action: 'macro.' });
		expect(audit.map((a) => `${a.action}:${a.actorName}`)).toEqual(
			expect.arrayContaining(['macro.create:milo', 'macro.update:milo', 'macro.update:admin'])
		);
		// a bad pattern says where it is wrong; a name is unique per owner
		const bad = await trpcCall(
			server.url,
			milo,
			'macros.create',
			{ name: 'bad', steps: [{ type: 'wait', pattern: 'ok[' }] },
			'mutation'
		);
		expect(bad.status).toBe(400);
		expect(bad.body.error!.message).toMatch(/steps\.0\.pattern: .*never closed.*at character 3/);
		const twice = await trpcCall(
			server.url,
			milo,
			'macros.create',
			{ name: 'uptime', steps: m.steps },
			'mutation'
		);
		expect(twice.status).toBe(409);
	});

	it('holds the next line back until the output shows the pattern, then runs it', async () => {
		const m = await macro({
			name: 'ready',
			steps: [
				{ type: 'send', text: 'sleep 1; echo READY' },
				{ type: 'wait', pattern: 'READY', timeoutMs: 10_000 }, // the echo of the line above has it too
				{ type: 'send', text: 'echo after-$((2+3))' }
			]
		});
		const p = await player(server.url, milo);
		sockets.push(p.socket);
		const started = Date.now();
		const run = await p.play(m.id, [ids.m1]);
		expect(run).toMatchObject({ macroName: 'ready', username: 'milo', state: 'running' });
		const end = await p.ended(run.runId);
		expect(end.state).toBe('done');
		expect(end.consoles).toMatchObject([
			{ consoleId: ids.m1, name: 'm1', state: 'done', step: 3, steps: 3, message: 'ran 3 steps' }
		]);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
		const text = await watch.m1.waitFor(/\nafter-5/);
		// The tty echoes typed input at once, even while `sleep` runs: had the line gone early, its echo
		// would come before READY.
		const ready = text.search(/\nREADY\r?\n/);
		expect(ready).toBeGreaterThan(0);
		expect(text.indexOf('echo after-$((2+3))')).toBeGreaterThan(ready);
		// every change reached the browser, even those shorter than a progress report's interval
		const log = p.progress
			.filter((x) => x.runId === run.runId)
			.flatMap((x) => x.consoles.flatMap((c) => c.log));
		expect(log).toEqual([
			'1/3 sending: typing: sleep 1; echo READY',
			'2/3 waiting: waiting for /READY/',
			'2/3 matched: matched /READY/: READY',
			'3/3 sending: typing: echo after-$((2+3))',
			'3/3 done: ran 3 steps'
		]);
	});

	it('stops with a clear status when a wait-for times out, and sends nothing after it', async () => {
		const m = await macro({
			name: 'never',
			steps: [
				{ type: 'send', text: 'echo waiting-$((3*3))' },
				{ type: 'wait', pattern: 'NEVER-SEEN', timeoutMs: 1500 },
				{ type: 'send', text: 'echo unreachable' }
			]
		});
		const p = await player(server.url, milo);
		sockets.push(p.socket);
		const run = await p.play(m.id, [ids.m2]);
		const end = await p.ended(run.runId);
		expect(end.state).toBe('failed');
		expect(end.consoles[0]).toMatchObject({
			state: 'timed-out',
			step: 2,
			message: 'timed out after 1.5 s waiting for /NEVER-SEEN/'
		});
		await watch.m2.waitFor(/\nwaiting-9/);
		await watch.m2.type('echo check-m2\n');
		await watch.m2.waitFor(/\ncheck-m2/);
		expect(watch.m2.text).not.toMatch(/unreachable/);
	});

	it('stops a macro mid-way; only the player (or a manager) may stop it', async () => {
		const m = await macro({
			name: 'slow',
			steps: [
				{ type: 'send', text: 'echo first-$((1+1))' },
				{ type: 'delay', ms: 30_000 },
				{ type: 'send', text: 'echo second-$((2+2))' }
			],
			sharedRoleIds: [operators]
		});
		const p = await player(server.url, milo);
		sockets.push(p.socket);
		const run = await p.play(m.id, [ids.m3]);
		await until(async () =>
			p.progress.some((x) => x.runId === run.runId && x.consoles.some((c) => c.state === 'delaying'))
		);
		const runs = (await p.socket.timeout(5000).emitWithAck('macro:runs')) as MacroRun[];
		expect(runs.map((r) => r.runId)).toContain(run.runId);
		const n = await connectDesktop(server.url, nina);
		sockets.push(n);
		expect(await n.timeout(5000).emitWithAck('macro:stop', { runId: run.runId })).toEqual({
			ok: false,
			error: 'Only the user who played this macro may stop it.'
		});
		expect(await p.socket.timeout(5000).emitWithAck('macro:stop', { runId: run.runId })).toEqual({
			ok: true
		});
		const end = await p.ended(run.runId, 5000);
		expect(end.state).toBe('stopped');
		expect(end.consoles[0]).toMatchObject({ state: 'stopped', message: 'stopped at step 2 of 3' });
		await watch.m3.waitFor(/\nfirst-2/);
		await new Promise((r) => setTimeout(r, 300));
		expect(watch.m3.text).not.toMatch(/second/);
		expect(await p.socket.timeout(5000).emitWithAck('macro:runs')).toEqual([]);
	});

	it('plays into a gang, skipping with the reason a console the player may only view', async () => {
		const m = await macro({
			name: 'hostname',
			steps: [
				{ type: 'send', text: 'echo gang-$$' },
				{ type: 'wait', pattern: '^gang-\\d+$', timeoutMs: 10_000 }
			]
		});
		const p = await player(server.url, milo);
		sockets.push(p.socket);
		const run = await p.play(m.id, [ids.m1, ids.m2, ids.m3, ids.p1, 987_654]);
		const end = await p.ended(run.runId);
		expect(end.state).toBe('done');
		const by = new Map(end.consoles.map((c) => [c.consoleId, c]));
		for (const name of ['m1', 'm2', 'm3']) expect(by.get(ids[name])).toMatchObject({ name, state: 'done' });
		expect(by.get(ids.p1)).toMatchObject({
			state: 'skipped',
			message: 'You may only view this console (no console.write).'
		});
		expect(by.get(987_654)).toMatchObject({ name: '', state: 'skipped' });
		for (const name of ['m1', 'm2', 'm3']) await watch[name].waitFor(/\ngang-\d+/);
		expect(watch.p1.text).not.toMatch(/gang-/);
	});

	it('goes on when the browser closes: playback runs in the server', async () => {
		const m = await macro({
			name: 'detached',
			steps: [
				{ type: 'delay', ms: 500 },
				{ type: 'send', text: 'echo detached-$((4*4))' }
			]
		});
		const p = await player(server.url, milo);
		await p.play(m.id, [ids.m1]);
		p.socket.close();
		await watch.m1.waitFor(/\ndetached-16/);
	});

	it('records the lines typed into a console, to edit into a macro', async () => {
		const { fromSeq } = await asMilo<{ fromSeq: number }>(
			'macros.recordStart',
			{ consoleId: ids.m2 },
			'mutation'
		);
		const v = await viewer(server.url, milo, ids.m2);
		sockets.push(v.socket);
		expect((await v.join()).ok).toBe(true);
		expect(await v.type('echo rec-one\r')).toEqual({ ok: true });
		expect(await v.type('ls -lx\x7fa /\r')).toEqual({ ok: true });
		await v.waitFor(/\nrec-one/);
		await new Promise((r) => setTimeout(r, 300));
		const got = await asMilo<{ lines: string[]; partial: string }>('macros.recorded', {
			consoleId: ids.m2,
			fromSeq
		});
		expect(got).toEqual({ lines: ['echo rec-one', 'ls -la /'], partial: '' });
		// only your own typing, only where you may type
		const adminRec = await call<{ lines: string[] }>('macros.recorded', { consoleId: ids.m2, fromSeq });
		expect(adminRec.lines).toEqual([]);
		const viewOnly = await trpcCall(
			server.url,
			milo,
			'macros.recordStart',
			{ consoleId: ids.p1 },
			'mutation'
		);
		expect(viewOnly.status).toBe(403);
	});

	if (kind === 'postgres')
		it('waits for output of a console whose agent is linked to another app node', async () => {
			const b = await startServer({ DATABASE_URL: pgdb!.url, FLEETDESK_NODE_ID: 'node-b' });
			try {
				const onB = await signIn(b.url, 'milo', 'milo-password-long-enough');
				const m = await macro({
					name: 'cross-node',
					steps: [
						{ type: 'send', text: 'sleep 1; echo NODE-$((40+2))' },
						{ type: 'wait', pattern: '^NODE-42$', timeoutMs: 10_000 },
						{ type: 'send', text: 'echo crossed-$((6*6))' }
					]
				});
				const p = await player(b.url, onB);
				sockets.push(p.socket);
				const run = await p.play(m.id, [ids.m3]);
				const end = await p.ended(run.runId);
				expect(end.consoles[0]).toMatchObject({ state: 'done', message: 'ran 3 steps' });
				const text = await watch.m3.waitFor(/\ncrossed-36/);
				expect(text.indexOf('echo crossed')).toBeGreaterThan(text.search(/\nNODE-42\r?\n/));
				// the browser on node B may stop a run from node A's list too
				const slow = await macro({ name: 'b-slow', steps: [{ type: 'delay', ms: 30_000 }] });
				const onA = await player(server.url, milo);
				sockets.push(onA.socket);
				const r2 = await onA.play(slow.id, [ids.m3]);
				expect(
					((await p.socket.timeout(8000).emitWithAck('macro:runs')) as MacroRun[]).map((r) => r.runId)
				).toContain(r2.runId);
				expect(await p.socket.timeout(8000).emitWithAck('macro:stop', { runId: r2.runId })).toEqual({
					ok: true
				});
				expect((await onA.ended(r2.runId, 5000)).state).toBe('stopped');
			} finally {
				await b.stop();
			}
		});

	it('logs playback like typed input, under the player’s name, with the run’s start and end', async () => {
		await new Promise((r) => setTimeout(r, 500));
		for (const s of sockets) s.close();
		for (const v of Object.values(watch)) v.close();
		await agent.stop();
		await other.stop();
		await server.stop();
		const log = await readAccessLog({ databaseUrl: pgdb?.url, dataDir: server.dataDir }, ids.m1);
		const first = log.find((r) => r.kind === 'input' && r.data.toString() === 'sleep 1; echo READY\r');
		expect(first?.username).toBe('milo');
		const after = log.find((r) => r.kind === 'input' && r.data.toString() === 'echo after-$((2+3))\r')!;
		expect(after.username).toBe('milo');
		// in the hash-chained order: READY was output before the next line was typed
		const ready = log.find((r) => r.kind === 'output' && /(^|\n)READY\r?\n/.test(r.data.toString()))!;
		expect(ready.seq).toBeGreaterThan(first!.seq);
		expect(after.seq).toBeGreaterThan(ready.seq);
		const events = log
			.filter((r) => r.kind === 'event')
			.map((r) => ({ ...JSON.parse(r.data.toString()), who: r.username }));
		expect(events).toContainEqual(
			expect.objectContaining({
				event: 'macro',
				action: 'start',
				macro: 'ready',
				by: 'milo',
				who: 'milo',
				steps: 3
			})
		);
		expect(events).toContainEqual(
			expect.objectContaining({ event: 'macro', action: 'done', macro: 'ready', who: 'milo' })
		);
		const m2 = await readAccessLog({ databaseUrl: pgdb?.url, dataDir: server.dataDir }, ids.m2);
		const m2events = m2.filter((r) => r.kind === 'event').map((r) => JSON.parse(r.data.toString()));
		expect(m2events).toContainEqual(
			expect.objectContaining({ event: 'macro', action: 'timed-out', macro: 'never' })
		);
		const p1 = await readAccessLog({ databaseUrl: pgdb?.url, dataDir: server.dataDir }, ids.p1);
		expect(p1.some((r) => r.kind === 'input' && r.username === 'milo')).toBe(false);
	});
});
