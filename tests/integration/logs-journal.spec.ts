// The systemd journal as a log source, with the real journalctl: no journald runs here, so entries are written
// to a journal file by Debian's systemd-journal-remote (from the journal export format) and the agent's
// journalctl reads that directory (`journalctl --directory`, through a two-line wrapper named in the agent's
// config). The viewer reads it; a pattern rule fires on a new entry, also on one written while the agent
// was stopped (the cursor it last saw is kept).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, caller, signIn, startServer, type RunningServer } from '../helpers/server';
import {
	buildAgent,
	enrollWithNewToken,
	startAgent,
	tempDir,
	until,
	type RunningAgent
} from '../helpers/agents';
import type { LogDeviceView, LogEventView, LogReadResult } from '../../src/lib/protocol/logs';

const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const BOOT_ID = '0123456789abcdef0123456789abcdef';

function ensureJournalTools(): void {
	if (fs.existsSync(JOURNAL_REMOTE) && spawnSync('journalctl', ['--version']).status === 0) return;
	if (process.getuid?.() !== 0)
		throw new Error(
			'journalctl or systemd-journal-remote is missing: apt-get install systemd-journal-remote'
		);
	const r = spawnSync(
		'sh',
		[
			'-c',
			'apt-get install -y -qq systemd-journal-remote || (apt-get update -qq && apt-get install -y -qq systemd-journal-remote)'
		],
		{ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 540_000 }
	);
	if (r.status !== 0) throw new Error(`installing systemd-journal-remote failed:\n${r.stdout}\n${r.stderr}`);
}

/** Appends entries to the journal file in `dir`, as journald would have written them. */
function writeJournal(dir: string, entries: { ident: string; pid?: number; message: string }[]): void {
	const now = Date.now() * 1000;
	const text = entries
		.map(
			(e, i) =>
				[
					`__REALTIME_TIMESTAMP=${now + i}`,
					`_BOOT_ID=${BOOT_ID}`,
					`SYSLOG_IDENTIFIER=${e.ident}`,
					...(e.pid ? [`_PID=${e.pid}`] : []),
					`MESSAGE=${e.message}`
				].join('\n') + '\n\n'
		)
		.join('');
	const file = path.join(dir, `batch-${process.hrtime.bigint()}.export`);
	fs.writeFileSync(file, text);
	const r = spawnSync(JOURNAL_REMOTE, [`--output=${path.join(dir, 'remote.journal')}`, file], {
		encoding: 'utf8'
	});
	fs.rmSync(file);
	if (r.status !== 0) throw new Error(`systemd-journal-remote failed: ${r.stderr}`);
}

describe.each(await dbKinds())('the journal on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let agent: RunningAgent;
	let agentDir: string;
	let deviceId: number;
	let groupId: number;
	let journalDir: string;
	let agentConfig: object;

	const call = <T>(p: string, input?: unknown, type: 'query' | 'mutation' = 'query') =>
		caller(server, cookie)<T>(p, input, type);
	const journalEvents = async () =>
		(await call<LogEventView[]>('logs.events.list', { deviceId, kind: 'pattern' })).filter(
			(e) => e.source?.type === 'journal'
		);
	const online = () =>
		until(async () =>
			(await call<LogDeviceView[]>('logs.devices')).find((d) => d.deviceId === deviceId && d.online)
		);

	beforeAll(async () => {
		ensureJournalTools();
		buildAgent();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		server = await startServer(pgdb ? { DATABASE_URL: pgdb.url } : {});
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		groupId = (await call<{ id: number }>('groups.create', { name: 'journal' }, 'mutation')).id;
		const enrolled = await enrollWithNewToken(server, cookie, groupId);
		agentDir = enrolled.dir;
		journalDir = tempDir('fd-journal-');
		writeJournal(journalDir, [{ ident: 'sshd', pid: 42, message: 'Server listening on 0.0.0.0 port 22.' }]);
		const wrapper = path.join(journalDir, 'journalctl');
		fs.writeFileSync(wrapper, `#!/bin/sh\nexec journalctl --directory=${journalDir} "$@"\n`, { mode: 0o755 });
		agentConfig = {
			reconnect: { baseMs: 200, capMs: 1500 },
			tasks: { allow: ['inventory', 'show', 'logs-open', 'logs-config'] },
			filesModule: { journal: true, journalctl: wrapper, watch: false, tailMs: 200 }
		};
		agent = startAgent(agentDir, agentConfig);
		// The agent says after its hello that it reads the journal (journalctl runs, its config allows it).
		const dev = await until(async () =>
			(await call<LogDeviceView[]>('logs.devices')).find(
				(d) => d.agentId === enrolled.agentId && d.online && d.journal
			)
		);
		deviceId = dev.deviceId;
	});
	afterAll(async () => {
		await agent?.stop();
		await server?.stop();
		await pgdb?.drop();
		if (journalDir) fs.rmSync(journalDir, { recursive: true, force: true });
	});

	it('shows the journal in the viewer, entries as "IDENT[PID]: MESSAGE" with their time and cursor', async () => {
		const r = await call<LogReadResult>('logs.read', {
			deviceId,
			source: { type: 'journal' },
			from: { end: true },
			count: 10
		});
		const line = r.lines.find((l) => l.text === 'sshd[42]: Server listening on 0.0.0.0 port 22.');
		expect(line).toBeDefined();
		expect(line!.cursor).toMatch(/^s=/);
		expect(Math.abs(Date.parse(line!.time!) - Date.now())).toBeLessThan(120_000);
	});

	it('fires a pattern rule on a new journal entry, with a link that opens the journal at its time', async () => {
		await call(
			'logs.rules.create',
			{ groupId, name: 'Kernel panic', pattern: 'Kernel panic - not syncing: (.+)', severity: 'critical' },
			'mutation'
		);
		// The rule reaches the agent in a signed config; from then on it follows the journal: write until it fires.
		let n = 0;
		const first = await until(async () => {
			writeJournal(journalDir, [
				{ ident: 'systemd', message: 'Started session 1.' },
				{ ident: 'kernel', message: `Kernel panic - not syncing: attempt ${++n}` }
			]);
			await new Promise((r) => setTimeout(r, 400));
			return (await journalEvents())[0];
		}, 30_000);
		expect(first).toMatchObject({ ruleName: 'Kernel panic', severity: 'critical', deviceId });
		expect(first.line).toMatch(/^kernel: Kernel panic - not syncing: attempt \d+$/);
		expect(first.source).toEqual({ type: 'journal' });
		const link = new URL(first.link!, server.url);
		expect(Object.fromEntries(link.searchParams)).toMatchObject({
			app: 'logs',
			device: String(deviceId),
			journal: '1',
			event: String(first.id)
		});
		expect(Math.abs(Date.parse(link.searchParams.get('at')!) - Date.now())).toBeLessThan(120_000);
		// the other entries did not match
		expect((await journalEvents()).every((e) => /Kernel panic/.test(e.line))).toBe(true);
	});

	it('catches up after a restart on what was written while the agent was stopped', async () => {
		await agent.stop();
		await until(async () =>
			(await call<LogDeviceView[]>('logs.devices')).find((d) => d.deviceId === deviceId && !d.online)
		);
		writeJournal(journalDir, [{ ident: 'kernel', message: 'Kernel panic - not syncing: while stopped' }]);
		agent = startAgent(agentDir, agentConfig);
		await online();
		// Within a minute of the last event the server folds a match into it (a higher count, its last line).
		const stopped = 'kernel: Kernel panic - not syncing: while stopped';
		const hit = await until(
			async () => (await journalEvents()).find((e) => e.line === stopped || e.lastLine === stopped),
			30_000
		);
		expect(hit.ruleName).toBe('Kernel panic');
	});

	it('goes on from the end of the journal when it no longer knows the saved cursor', async () => {
		await agent.stop();
		const state = path.join(agentDir, 'logs-journal.json');
		expect(JSON.parse(fs.readFileSync(state, 'utf8')).cursor).toMatch(/^s=/);
		// e.g. the journal was vacuumed, or the agent's directory was copied from another machine
		fs.writeFileSync(state, JSON.stringify({ cursor: 's=0badc0de;i=99;b=0123;m=0;t=1;x=2' }));
		agent = startAgent(agentDir, agentConfig);
		await online();
		let n = 0;
		const hit = await until(async () => {
			writeJournal(journalDir, [{ ident: 'kernel', message: `Kernel panic - not syncing: fresh ${++n}` }]);
			await new Promise((r) => setTimeout(r, 400));
			return (await journalEvents()).find((e) => /fresh \d+/.test(`${e.line} ${e.lastLine ?? ''}`));
		}, 30_000);
		expect(hit.ruleName).toBe('Kernel panic');
		expect(agent.output()).toMatch(/cannot start after the saved cursor/);
	});
});
