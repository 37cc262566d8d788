// The log viewer end to end, with a real server, a real agent process and real TLS: a 50 MB file read by line,
// from the end and at a time; follow sees appended lines; filters with include/exclude and context; paths
// outside the agent's allow list refused (also through ../ and a symlink); bookmarks; regex errors with their
// position. Every read is a session opened by a signed task, recorded in the tasks table.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import {
	buildAgent,
	enrollWithNewToken,
	startAgent,
	tempDir,
	until,
	type RunningAgent
} from '../helpers/agents';
import type {
	LogBookmarkView,
	LogDeviceView,
	LogFilterResult,
	LogFollowResult,
	LogReadResult
} from '../../src/lib/protocol/logs';

const BIG_LINES = 500_000;
const T0 = Date.UTC(2024, 0, 1);
const bigLine = (i: number) =>
	`${new Date(T0 + i * 1000).toISOString()} web1 app[42]: request ${String(i).padStart(7, '0')} served in ${i % 97} ms ${'.'.repeat(i % 11)}`;

function writeBig(file: string): void {
	const fd = fs.openSync(file, 'w');
	for (let start = 1; start <= BIG_LINES; start += 10_000) {
		const lines: string[] = [];
		for (let i = start; i < start + 10_000 && i <= BIG_LINES; i++) lines.push(bigLine(i));
		fs.writeSync(fd, lines.join('\n') + '\n');
	}
	fs.closeSync(fd);
}

describe.each(await dbKinds())('log viewer files on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let agent: RunningAgent;
	let deviceId: number;
	let logDir: string;
	let outside: string;

	const call = async <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query', as = cookie) => {
		const r = await trpcCall(server.url, as, p, input, type);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const fails = async (p: string, input: unknown, type: 'query' | 'mutation' = 'query', as = cookie) => {
		const r = await trpcCall(server.url, as, p, input, type);
		expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
		return { status: r.status, message: r.body.error!.message };
	};
	const file = (name: string) => ({ type: 'file' as const, path: path.join(logDir, name) });

	beforeAll(async () => {
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const groupId = (await call<{ id: number }>('groups.create', { name: 'logs' }, 'mutation')).id;
		const { dir, agentId } = await enrollWithNewToken(server, cookie, groupId);
		logDir = tempDir('fd-logs-');
		outside = tempDir('fd-outside-');
		writeBig(path.join(logDir, 'big.log'));
		fs.writeFileSync(path.join(outside, 'secret.log'), 'top secret\n');
		fs.symlinkSync(path.join(outside, 'secret.log'), path.join(logDir, 'sneaky.log'));
		agent = startAgent(dir, {
			reconnect: { baseMs: 200, capMs: 1500 },
			tasks: { allow: ['inventory', 'show', 'logs-open', 'logs-config'] },
			logs: [`${logDir}/*.log`],
			filesModule: { journal: false, watch: false, rules: false }
		});
		const dev = await until(async () =>
			(await call<LogDeviceView[]>('logs.devices')).find(
				(d) => d.agentId === agentId && d.online && d.allow.length
			)
		);
		deviceId = dev.deviceId;
	});
	afterAll(async () => {
		await agent?.stop();
		await server?.stop();
		await pgdb?.drop();
		for (const d of [logDir, outside]) if (d) fs.rmSync(d, { recursive: true, force: true });
	});

	it('lists what the agent allows and the files it names now', async () => {
		const dev = (await call<LogDeviceView[]>('logs.devices')).find((d) => d.deviceId === deviceId)!;
		expect(dev).toMatchObject({ allow: [`${logDir}/*.log`], journal: false, online: true });
		const src = await call<{ files: { path: string; size: number }[] }>('logs.sources', { deviceId });
		// the symlink leading outside the list is not offered
		expect(src.files.map((f) => f.path)).toEqual([path.join(logDir, 'big.log')]);
		expect(src.files[0].size).toBe(fs.statSync(path.join(logDir, 'big.log')).size);
	});

	it('reads a 50 MB file by line number, from the end and at a time', async () => {
		const source = file('big.log');
		const tail = await call<LogReadResult>('logs.read', { deviceId, source, from: { end: true }, count: 3 });
		expect(tail.lines.map((l) => l.text)).toEqual([
			bigLine(BIG_LINES - 2),
			bigLine(BIG_LINES - 1),
			bigLine(BIG_LINES)
		]);
		expect(tail.atEnd).toBe(true);

		const idx = await until(async () => {
			const s = await call<{ complete: boolean; lines: number } | null>('logs.stat', { deviceId, source });
			return s?.complete ? s : null;
		}, 30_000);
		expect(idx.lines).toBe(BIG_LINES);

		const mid = await call<LogReadResult>('logs.read', {
			deviceId,
			source,
			from: { line: 400_000 },
			count: 100,
			before: 2
		});
		expect(mid.lines).toHaveLength(102);
		expect(mid.lines[0]).toMatchObject({ n: 399_998, text: bigLine(399_998) });
		expect(mid.lines[101]).toMatchObject({ n: 400_099, text: bigLine(400_099) });
		// the offsets are byte offsets into the file
		const fd = fs.openSync(path.join(logDir, 'big.log'), 'r');
		const buf = Buffer.alloc(200);
		fs.readSync(fd, buf, 0, 200, mid.lines[2].offset!);
		fs.closeSync(fd);
		expect(buf.toString().startsWith(bigLine(400_000))).toBe(true);

		const at = await call<LogReadResult>('logs.read', {
			deviceId,
			source,
			from: { time: new Date(T0 + 123_456_000 + 500).toISOString() },
			count: 1
		});
		expect(at.lines[0]).toMatchObject({ n: 123_457, text: bigLine(123_457) });

		const byOffset = await call<LogReadResult>('logs.read', {
			deviceId,
			source,
			from: { offset: mid.lines[2].offset! + 5 },
			count: 1
		});
		expect(byOffset.lines[0].n).toBe(400_000);
		const past = await call<LogReadResult>('logs.read', {
			deviceId,
			source,
			from: { line: BIG_LINES + 5 },
			count: 5
		});
		expect(past.lines).toEqual([]);
	});

	it('follows a file: appended lines arrive, in order, numbered', async () => {
		const f = path.join(logDir, 'app.log');
		fs.writeFileSync(f, 'one\ntwo\n');
		const source = file('app.log');
		const first = await call<LogReadResult>('logs.read', {
			deviceId,
			source,
			from: { end: true },
			count: 10
		});
		expect(first.lines.map((l) => [l.n, l.text])).toEqual([
			[1, 'one'],
			[2, 'two']
		]);
		const none = await call<LogFollowResult>('logs.follow', { deviceId, source, after: first.next });
		expect(none.lines).toEqual([]);
		fs.appendFileSync(f, 'three\nfour\n');
		const got = await call<LogFollowResult>('logs.follow', { deviceId, source, after: first.next });
		expect(got.lines.map((l) => [l.n, l.text])).toEqual([
			[3, 'three'],
			[4, 'four']
		]);
		// a waiting follow returns as soon as a line is written
		setTimeout(() => fs.appendFileSync(f, 'five\n'), 600);
		const waited = await call<LogFollowResult>('logs.follow', {
			deviceId,
			source,
			after: got.next,
			waitMs: 8000
		});
		expect(waited.lines.map((l) => l.text)).toEqual(['five']);
		// rotated (replaced by a new file): the follow starts again at its first line
		fs.renameSync(f, `${f}.1`);
		fs.writeFileSync(f, 'fresh\n');
		const rotated = await call<LogFollowResult>('logs.follow', { deviceId, source, after: waited.next });
		expect(rotated).toMatchObject({ rotated: true, lines: [{ n: 1, text: 'fresh' }] });
	});

	it('filters with include and exclude patterns, and context around each hit', async () => {
		const lines = [
			'boot ok',
			'ERROR disk sda failed',
			'retrying',
			'ok',
			'ok',
			'ERROR fan ignored',
			'ok',
			'error net down',
			'tail',
			'end'
		];
		fs.writeFileSync(path.join(logDir, 'filter.log'), lines.join('\n') + '\n');
		const r = await call<LogFilterResult>('logs.filter', {
			deviceId,
			source: file('filter.log'),
			filter: {
				include: ['error', '(disk|net)'],
				exclude: ['ignored'],
				ignoreCase: true,
				before: 1,
				after: 1
			}
		});
		expect(r.rows.map((x) => [x.n, x.hit, x.text])).toEqual([
			[1, false, 'boot ok'],
			[2, true, 'ERROR disk sda failed'],
			[3, false, 'retrying'],
			[7, false, 'ok'],
			[8, true, 'error net down'],
			[9, false, 'tail']
		]);
		expect(r).toMatchObject({ hits: 2, done: true });

		// paged, one hit a page: each page brings the context its hit needs, never a row sent before
		const page = (from: unknown) =>
			call<LogFilterResult>('logs.filter', {
				deviceId,
				source: file('filter.log'),
				filter: { include: ['error'], ignoreCase: true, before: 2 },
				from,
				limit: 1
			});
		const p1 = await page(null);
		const p2 = await page(p1.next);
		const p3 = await page(p2.next);
		const p4 = await page(p3.next);
		expect([p1, p2, p3, p4].map((p) => p.rows.map((x) => x.n))).toEqual([[1, 2], [4, 5, 6], [7, 8], []]);
		expect([p1.done, p3.done, p4.done]).toEqual([false, false, true]);
	});

	it('refuses paths outside the allow list, also through ../ and a symlink', async () => {
		for (const p of [
			'/etc/passwd',
			`${logDir}/../${path.basename(outside)}/secret.log`,
			`${logDir}/sneaky.log`
		]) {
			const r = await fails('logs.read', {
				deviceId,
				source: { type: 'file', path: p },
				from: { end: true }
			});
			expect(r.message).toMatch(/not in this agent's allowed paths/);
		}
		const j = await fails('logs.read', { deviceId, source: { type: 'journal' }, from: { end: true } });
		expect(j.message).toMatch(/does not read the journal/);
		// each attempt was a signed task on record
		const tasks = await call<{ kind: string }[]>('tasks.list', { deviceId });
		expect(tasks.filter((t) => t.kind === 'logs-open').length).toBeGreaterThanOrEqual(4);

		// without a logs.read grant on the device, the server refuses before anything reaches the agent
		const role = await call<{ id: number }>(
			'roles.create',
			{ name: 'no logs', permissions: ['desktop.use'] },
			'mutation'
		);
		await call(
			'users.create',
			{ username: 'nolog', password: 'long-enough-password', roleIds: [role.id] },
			'mutation'
		);
		const other = await signIn(server.url, 'nolog', 'long-enough-password');
		expect((await fails('logs.read', { deviceId, source: file('big.log') }, 'query', other)).status).toBe(
			403
		);
	});

	it('keeps bookmarks, shared and linkable', async () => {
		const line = (
			await call<LogReadResult>('logs.read', {
				deviceId,
				source: file('big.log'),
				from: { line: 777 },
				count: 1
			})
		).lines[0];
		const b = await call<LogBookmarkView>(
			'logs.bookmarks.create',
			{
				type: 'file',
				deviceId,
				path: path.join(logDir, 'big.log'),
				line: line.n,
				offset: line.offset,
				anchor: line.text,
				note: 'slow <b>request</b>',
				tag: 'perf'
			},
			'mutation'
		);
		expect(b).toMatchObject({
			line: 777,
			offset: line.offset,
			anchor: bigLine(777),
			tag: 'perf',
			createdBy: 'admin'
		});
		expect(b.link).toBe(`/?app=logs&bookmark=${b.id}`);
		expect(
			(await call<LogBookmarkView[]>('logs.bookmarks.list', { deviceId, tag: 'perf' })).map((x) => x.id)
		).toEqual([b.id]);
		const u = await call<LogBookmarkView>(
			'logs.bookmarks.update',
			{ id: b.id, note: 'looked at' },
			'mutation'
		);
		expect(u.note).toBe('looked at');
		expect((await call<LogBookmarkView>('logs.bookmarks.get', { id: b.id })).note).toBe('looked at');
		const other = await signIn(server.url, 'nolog', 'long-enough-password');
		expect((await fails('logs.bookmarks.get', { id: b.id }, 'query', other)).status).toBe(403);
		await call('logs.bookmarks.delete', { id: b.id }, 'mutation');
		expect((await fails('logs.bookmarks.get', { id: b.id })).status).toBe(404);
	});

	it('answers a bad regex with where it is wrong', async () => {
		const f = await fails('logs.filter', {
			deviceId,
			source: file('big.log'),
			filter: { include: ['err(or'] }
		});
		expect(f.status).toBe(400);
		expect(f.message).toMatch(/filter\.include\.0: .*never closed.*character 4/);
		const groupId = (await call<{ id: number }[]>('groups.list')).find(
			(g) => (g as { name?: string }).name === 'logs'
		)!.id;
		const r = await fails('logs.rules.create', { groupId, name: 'bad', pattern: '(a+)+x' }, 'mutation');
		expect(r.message).toMatch(/pattern: .*character 1/);
		const t = await call<{ ok: boolean; position: number | null }>('logs.rules.test', {
			pattern: 'ab[cd',
			lines: []
		});
		expect(t).toMatchObject({ ok: false, position: 2 });
	});
});
