// Replay reads and exports of an access log, on PGlite and PostgreSQL: records page by page and from a time,
// the span (sessions, who typed, events), asciicast v2 that Debian's `asciinema play` plays, text with
// timestamps that shows what was typed and by whom, and the raw output. Then the HTTP downloads on a real
// server (PostgreSQL, shared with the test), with their permission checks.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres, openTestDb } from '../helpers/db';
import { migrate, openDatabase, type Database, type Db } from '../../src/server/db/client';
import { consoles, deviceGroups, devices, grants, roles } from '../../src/server/db/schema';
import { appendAccessLog, closeAccessLog, setAccessLogMasterKey } from '../../src/server/accesslog';
import { findLogConsole } from '../../src/server/accesslog/access';
import { asciicast, rawExport, textExport } from '../../src/server/accesslog/export';
import { createCaller } from '../../src/server/trpc/router';
import { loadPrincipal } from '../../src/server/auth/permissions';
import { createUser } from '../../src/server/access/users';
import { findRoleByName } from '../../src/server/access/roles';
import { ADMIN_PASSWORD, ROOT, signIn, startServer, type RunningServer } from '../helpers/server';
import { sql } from 'drizzle-orm';

const SECRET = 'fleetdesk-integration-tests-master-key-0001';
const T0 = Date.parse('2025-03-01T10:00:00Z');
const PIPE = randomUUID();
const system = { id: null, name: 'test' };

/** The session: a prompt, alice types a command, its output (with a character split across chunks), bob joins. */
async function record(db: Db, consoleId: number, deviceId: number) {
	const euro = Buffer.from('€');
	const entries = [
		{ kind: 'event', s: 0, data: '{"event":"resize","cols":100,"rows":30}' },
		{ kind: 'event', s: 0.1, data: '{"event":"join","mode":"write"}', user: 'alice' },
		{ kind: 'output', s: 0.5, data: '\x1b[32muser@web1\x1b[0m:~$ ', agentSeq: 1 },
		{ kind: 'input', s: 2, data: 'echo hello from the console\r', user: 'alice' },
		{
			kind: 'output',
			s: 2.1,
			data: 'echo hello from the console\r\nhello from the console\r\ncost: 5',
			agentSeq: 2
		},
		{ kind: 'output', s: 2.2, data: Buffer.concat([euro.subarray(0, 1)]), agentSeq: 3 },
		{
			kind: 'output',
			s: 2.3,
			data: Buffer.concat([euro.subarray(1), Buffer.from('\r\nuser@web1:~$ ')]),
			agentSeq: 4
		},
		{ kind: 'event', s: 3, data: '{"event":"join","mode":"view"}', user: 'bob' },
		{ kind: 'input', s: 5, data: 'exit\r', user: 'alice' },
		{ kind: 'output', s: 5.1, data: 'exit\r\nlogout\r\n', agentSeq: 5 }
	] as const;
	for (const e of entries) {
		const user = 'user' in e ? e.user : null;
		await appendAccessLog(db, {
			consoleId,
			deviceId,
			kind: e.kind,
			at: new Date(T0 + e.s * 1000),
			userId: user === 'alice' ? 2 : user === 'bob' ? 3 : null,
			username: user,
			pipeId: e.kind === 'output' ? PIPE : null,
			agentSeq: 'agentSeq' in e ? e.agentSeq : null,
			data: typeof e.data === 'string' ? Buffer.from(e.data) : e.data
		});
	}
}

async function collect<T>(g: AsyncGenerator<T>): Promise<T[]> {
	const out: T[] = [];
	for await (const x of g) out.push(x);
	return out;
}

/** Plays a recording in a pseudo-terminal (asciinema needs one) and returns what it printed. */
function asciinemaPlay(text: string): { status: number | null; output: string } {
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fd-cast-')), 'session.cast');
	fs.writeFileSync(file, text);
	const r = spawnSync('script', ['-qec', `asciinema play -s 20 -i 0.05 ${file}`, '/dev/null'], {
		encoding: 'utf8',
		timeout: 30_000,
		env: { ...process.env, TERM: 'xterm' }
	});
	return { status: r.status, output: r.stdout };
}

function checkCast(text: string) {
	const [header, ...lines] = text.trimEnd().split('\n');
	expect(JSON.parse(header)).toMatchObject({ version: 2, width: 100, height: 30, timestamp: T0 / 1000 });
	const events = lines.map((l) => JSON.parse(l) as [number, string, string]);
	const times = events.map((e) => e[0]);
	expect(times).toEqual([...times].sort((a, b) => a - b));
	expect(events.filter((e) => e[1] === 'i').map((e) => e[2])).toEqual([
		'echo hello from the console\r',
		'exit\r'
	]);
	expect(events.find((e) => e[1] === 'i')![0]).toBe(2);
	const output = events
		.filter((e) => e[1] === 'o')
		.map((e) => e[2])
		.join('');
	expect(output).toContain('hello from the console\r\ncost: 5€\r\n');
	expect(events.filter((e) => e[1] === 'm').map((e) => e[2])).toContain('bob: join mode=view');
}

describe.each(await dbKinds())('access-log replay and exports on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let consoleId: number;

	beforeAll(async () => {
		setAccessLogMasterKey(Buffer.from(SECRET));
		database = await openTestDb(kind);
		db = database.db;
		const [d] = await db.insert(devices).values({ name: 'web1' }).returning();
		const [c] = await db
			.insert(consoles)
			.values({ name: 'web1:shell', deviceId: d.id, kind: 'shell', target: { kind: 'shell' } })
			.returning();
		consoleId = c.id;
		await record(db, c.id, d.id);
	});
	afterAll(async () => {
		await closeAccessLog(db);
		await database?.dispose();
	});

	it('pages through records in order, from the start or from a time, with who typed', async () => {
		const [admin] = await createUser(db, system, {
			username: 'replay-admin',
			password: 'long-enough-password',
			roleIds: [(await findRoleByName(db, 'Administrator'))!.id]
		}).then((u) => [u]);
		const caller = createCaller({
			db,
			user: await loadPrincipal(db, { id: admin.id, username: admin.username }),
			sessionId: null,
			ip: ''
		});
		const seen: number[] = [];
		let afterSeq = 0;
		for (;;) {
			const page = await caller.accessLogs.records({ consoleId, afterSeq, limit: 3 });
			seen.push(...page.records.map((r) => r.seq));
			if (!page.more) break;
			afterSeq = page.records[page.records.length - 1].seq;
		}
		expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		const fromTime = await caller.accessLogs.records({
			consoleId,
			from: new Date(T0 + 2000),
			kinds: ['input'],
			limit: 10
		});
		expect(fromTime.records.map((r) => [r.username, Buffer.from(r.data, 'base64').toString()])).toEqual([
			['alice', 'echo hello from the console\r'],
			['alice', 'exit\r']
		]);
		expect(fromTime.records[0].at).toBe(new Date(T0 + 2000).toISOString());
		expect(await caller.accessLogs.seqAt({ consoleId, at: new Date(T0 + 2050) })).toEqual({ seq: 5 });
		const span = await caller.accessLogs.span({ consoleId });
		expect(span).toMatchObject({
			consoleName: 'web1:shell',
			deviceName: 'web1',
			firstSeq: 1,
			lastSeq: 10,
			firstAt: new Date(T0).toISOString(),
			lastAt: new Date(T0 + 5100).toISOString(),
			sessions: [{ pipeId: PIPE, firstSeq: 3, lastSeq: 10 }],
			users: [{ username: 'alice', inputs: 2 }]
		});
		expect(span.events.map((e) => [e.username, (e.event as { event: string }).event])).toEqual([
			[null, 'resize'],
			['alice', 'join'],
			['bob', 'join']
		]);
	});

	it('exports asciicast v2 that asciinema plays', async () => {
		const c = (await findLogConsole(db, consoleId))!;
		const text = (await collect(asciicast(db, c, {}))).join('');
		checkCast(text);
		const played = asciinemaPlay(text);
		expect(played.status).toBe(0);
		expect(played.output).toContain('hello from the console');
		expect(played.output).toContain('logout');
	});

	it('exports text with timestamps that shows what was typed and by whom, and the raw output', async () => {
		const c = (await findLogConsole(db, consoleId))!;
		const text = (await collect(textExport(db, c, {}))).join('');
		expect(text).toContain('2025-03-01T10:00:02.000Z [input alice] echo hello from the console⏎\n');
		expect(text).toContain('2025-03-01T10:00:02.100Z hello from the console\n');
		expect(text).toContain('2025-03-01T10:00:02.300Z cost: 5€\n');
		expect(text).toContain('2025-03-01T10:00:03.000Z [event] bob: join mode=view\n');
		expect(text).toContain('2025-03-01T10:00:05.100Z user@web1:~$ exit\n');
		expect(text).not.toContain('\x1b');
		const raw = Buffer.concat(await collect(rawExport(db, c, {})));
		expect(raw.toString()).toBe(
			'\x1b[32muser@web1\x1b[0m:~$ echo hello from the console\r\nhello from the console\r\ncost: 5€\r\nuser@web1:~$ exit\r\nlogout\r\n'
		);
		const window = (await collect(textExport(db, c, { from: new Date(T0 + 4000) }))).join('');
		expect(window).not.toContain('hello');
		expect(window).toContain('[input alice] exit⏎');
	});
});

describe('access-log downloads over HTTP', async () => {
	const kinds = await dbKinds();
	if (!kinds.includes('postgres')) {
		it('runs on PGlite through the domain tests above (the server holds its PGlite exclusively)', () => {
			expect(kinds).toEqual(['pglite']);
		});
		return;
	}
	let pg: Awaited<ReturnType<typeof freshPostgres>>;
	let database: Database;
	let server: RunningServer;
	let consoleId: number;

	beforeAll(async () => {
		setAccessLogMasterKey(Buffer.from(SECRET));
		pg = await freshPostgres();
		database = await openDatabase({ databaseUrl: pg.url, dataDir: 'memory://' });
		await migrate(database);
		server = await startServer({ DATABASE_URL: pg.url, FLEETDESK_SECRET: SECRET });
		const db = database.db;
		const [d] = await db.insert(devices).values({ name: 'web1' }).returning();
		const [c] = await db
			.insert(consoles)
			.values({ name: 'web1:shell', deviceId: d.id, kind: 'shell', target: { kind: 'shell' } })
			.returning();
		consoleId = c.id;
		await record(db, c.id, d.id);
		// logs.read, but on a group web1 is not in.
		const [lab] = await db.insert(deviceGroups).values({ name: 'lab' }).returning();
		const [role] = await db
			.insert(roles)
			.values({ name: 'Lab readers', permissions: ['desktop.use'] })
			.returning();
		await db.insert(grants).values({ roleId: role.id, groupId: lab.id, actions: ['logs.read'] });
		await createUser(db, system, {
			username: 'lab-reader',
			password: 'long-enough-password',
			roleIds: [role.id]
		});
	});
	afterAll(async () => {
		await server?.stop();
		await closeAccessLog(database.db);
		await database?.close();
		await pg?.drop();
	});

	it('streams each format to a reader of the device, and nothing to others', async () => {
		const cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const get = (format: string, c: string | null = cookie) =>
			fetch(`${server.url}/api/access-logs/${consoleId}/${format}`, { headers: c ? { cookie: c } : {} });
		const cast = await get('asciicast');
		expect(cast.status).toBe(200);
		expect(cast.headers.get('content-type')).toBe('application/x-asciicast');
		expect(cast.headers.get('content-disposition')).toMatch(/filename="web1_shell-|filename="web1:shell-/);
		const castText = await cast.text();
		checkCast(castText);
		expect(asciinemaPlay(castText).output).toContain('hello from the console');
		const text = await (await get('text')).text();
		expect(text).toContain('[input alice] echo hello from the console⏎');
		const raw = Buffer.from(await (await get('raw')).arrayBuffer());
		expect(raw.toString()).toContain('hello from the console\r\ncost: 5€');
		expect((await get('asciicast', null)).status).toBe(401);
		expect((await get('mp4')).status).toBe(404);
		const other = await signIn(server.url, 'lab-reader', 'long-enough-password');
		const refused = await get('text', other);
		expect(refused.status).toBe(404);
		expect(JSON.stringify(await refused.json())).not.toContain('hello');
	});

	it('`fleetdesk log verify` (the built CLI) passes the chain, then names the record changed behind its back', async () => {
		const verify = () =>
			spawnSync(
				process.execPath,
				[path.join(ROOT, 'build', 'cli.js'), 'log', 'verify', '--console', 'web1:shell'],
				{
					cwd: ROOT,
					encoding: 'utf8',
					timeout: 60_000,
					env: {
						...process.env,
						DATABASE_URL: pg.url,
						FLEETDESK_SECRET: SECRET,
						FLEETDESK_DATA_DIR: server.dataDir
					}
				}
			);
		const ok = verify();
		expect(ok.status).toBe(0);
		expect(ok.stdout).toMatch(/ok +web1:shell: 10 records \(1–10\)/);
		await database.db.execute(
			sql`update access_log_records set data = set_byte(data, 0, 65) where console_id = ${consoleId} and seq = 6`
		);
		const broken = verify();
		expect(broken.status).toBe(1);
		expect(broken.stdout).toContain('BROKEN   web1:shell: record 6 altered.');
	});
});
