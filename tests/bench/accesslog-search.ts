// B11: regex search across access logs. A generated access log (syslog-like lines, shell prompts, colour
// escapes; BENCH_ACCESSLOG_MB MiB of output over 20 consoles on 10 devices: default 256, which loads in a few
// minutes; BENCH_ACCESSLOG_MB=2048 for the issue's 2 GB) is loaded into the
// line table exactly as the line indexer derives it (splitOutput per 32 KiB output record), its trigram index
// built, and searched with searchAccessLogs as accessLogs.search runs it (an administrator, every match
// returned). Baseline, same run, same data: `LC_ALL=C grep -E -n PATTERN` over the raw output bytes (what the
// raw export gives) written to one file. Median of BENCH_RUNS (5) runs after one warm-up; hit counts compared.
// Target: ≤ 1.5× grep when the pattern has a literal. PostgreSQL only (PGlite is not meant for 2 GB).
// `npm run bench -- accesslog-b11` runs it and writes its section; alone: `npx tsx tests/bench/accesslog-search.ts`
// (BENCH_ACCESSLOG_MB=64 for a quick look).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { migrate, openDatabase, type Database } from '../../src/server/db/client';
import { seedAccess } from '../../src/server/access/seed';
import { consoles, devices } from '../../src/server/db/schema';
import { SUPERUSER, type Principal } from '../../src/server/auth/permissions';
import { searchAccessLogs } from '../../src/server/accesslog/search';
import { splitOutput } from '../../src/server/accesslog/text';
import { rawQuery, placeholders } from '../../src/server/accesslog/raw';
import { freshPostgres, postgresReachable } from '../helpers/db';

/** The target is stated for 2 GB; the default size fits a few minutes on two cores. */
export const TARGET_MB = 2048;
const MB = Number(process.env.BENCH_ACCESSLOG_MB ?? 256);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHUNK = 32 * 1024;
/** The most lines accessLogs.search returns (its input's maximum). */
const LIMIT = 1000;
const DEVICES = 10;
const CONSOLES = 20;

/** Patterns with a literal, as operators search; the first is the target's. */
export const PATTERNS = [
	{ name: 'rare literal + regex', pattern: 'kernel panic - not syncing: CPU [0-9]+' },
	{
		name: 'literal alternation',
		pattern: 'Failed password for invalid user (oracle|postgres) from 10\\.9\\.'
	},
	{ name: 'word with digits', pattern: 'segfault at [0-9a-f]+ ip' }
];

export interface SearchBench {
	mb: number;
	lines: number;
	loadSeconds: number;
	indexSeconds: number;
	results: {
		name: string;
		pattern: string;
		hits: number;
		/** More lines matched than the search's limit (1000): it returned the newest `hits` and said so. */
		truncated: boolean;
		grepHits: number;
		ms: number;
		grepMs: number;
		ratio: number;
	}[];
	skipped?: string;
}

function prng(seed: number) {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const USERS = ['root', 'admin', 'deploy', 'www-data', 'backup', 'nagios', 'git', 'ubuntu'];
const SERVICES = ['sshd', 'CRON', 'systemd', 'kernel', 'nginx', 'postfix/smtpd', 'dhclient', 'sudo'];

/** One line of console output; needles are rare and at fixed odds so grep and the search agree. */
function line(r: () => number, t: number): string {
	const ts = new Date(1_740_000_000_000 + t * 37).toISOString();
	const svc = SERVICES[Math.floor(r() * SERVICES.length)];
	const x = r();
	if (x < 0.00002)
		return `${ts} host kernel: Kernel panic - not syncing: Fatal exception\r\n${ts} host kernel: kernel panic - not syncing: CPU ${Math.floor(r() * 64)} hard lockup\r\n`;
	if (x < 0.00005)
		return `${ts} host sshd[${Math.floor(r() * 99999)}]: Failed password for invalid user ${r() < 0.5 ? 'oracle' : 'postgres'} from 10.9.${Math.floor(r() * 255)}.${Math.floor(r() * 255)} port 22 ssh2\r\n`;
	if (x < 0.0001)
		return `${ts} host kernel: app[${Math.floor(r() * 9999)}]: segfault at ${Math.floor(r() * 1e9).toString(16)} ip 00007f error 4\r\n`;
	if (x < 0.05)
		return `\x1b[01;32m${USERS[Math.floor(r() * USERS.length)]}@host\x1b[00m:\x1b[01;34m~\x1b[00m$ ls -la /var/log\r\n`;
	if (x < 0.1)
		return `${ts} host sshd[${Math.floor(r() * 99999)}]: Failed password for ${USERS[Math.floor(r() * USERS.length)]} from 192.168.${Math.floor(r() * 255)}.${Math.floor(r() * 255)} port ${1024 + Math.floor(r() * 60000)} ssh2\r\n`;
	if (x < 0.15)
		return `${ts} host \x1b[31mERROR\x1b[0m ${svc}: connection reset by peer (errno ${Math.floor(r() * 120)})\r\n`;
	return `${ts} host ${svc}[${Math.floor(r() * 99999)}]: session ${Math.floor(r() * 1e6)} opened for user ${USERS[Math.floor(r() * USERS.length)]} by (uid=${Math.floor(r() * 2000)})\r\n`;
}

async function load(
	database: Database,
	rawFile: string
): Promise<{ lines: number; loadSeconds: number; indexSeconds: number }> {
	const db = database.db;
	await migrate(database);
	await seedAccess(db);
	const ids: { device: number; console: number }[] = [];
	for (let d = 1; d <= DEVICES; d++) {
		const [dev] = await db
			.insert(devices)
			.values({ name: `host${d}` })
			.returning();
		for (let c = 0; c < CONSOLES / DEVICES; c++) {
			const [con] = await db
				.insert(consoles)
				.values({
					name: `host${d}:${c ? 'serial' : 'shell'}`,
					deviceId: dev.id,
					kind: 'shell',
					target: { kind: 'shell' }
				})
				.returning();
			ids.push({ device: dev.id, console: con.id });
		}
	}
	await rawQuery(db, 'drop index access_log_lines_text_idx');
	const out = fs.openSync(rawFile, 'w');
	const state = ids.map(() => ({ partial: null as Uint8Array | null, lines: 0, seq: 0 }));
	const r = prng(11);
	const t0 = performance.now();
	let t = 0;
	let rows: unknown[] = [];
	const flush = async () => {
		if (!rows.length) return;
		await rawQuery(
			db,
			`insert into access_log_lines (console_id, first_line, line_count, device_id, seq, at, text) values ${placeholders(rows.length / 7, 7)}`,
			rows
		);
		rows = [];
	};
	// One console's output at a time, so the raw file is each console's stream in turn (as grep would see
	// the exports concatenated).
	const perConsole = Math.ceil((MB * 2 ** 20) / CHUNK / ids.length);
	for (let k = 0; k < ids.length; k++) {
		const s = state[k];
		for (let i = 0; i < perConsole; i++) {
			let text = '';
			while (text.length < CHUNK) text += line(r, t++);
			const data = Buffer.from(text.slice(0, CHUNK));
			fs.writeSync(out, data);
			const split = splitOutput(s.partial, data);
			s.partial = split.partial;
			s.seq++;
			if (split.lines) {
				rows.push(
					ids[k].console,
					s.lines + 1,
					split.lines,
					ids[k].device,
					s.seq,
					new Date(1_740_000_000_000 + t * 37),
					split.text
				);
				s.lines += split.lines;
			}
			if (rows.length >= 7 * 64) await flush();
		}
	}
	await flush();
	fs.closeSync(out);
	const loadSeconds = (performance.now() - t0) / 1000;
	const t1 = performance.now();
	await rawQuery(db, "set maintenance_work_mem = '512MB'");
	await rawQuery(
		db,
		'create index access_log_lines_text_idx on access_log_lines using gin (text gin_trgm_ops)'
	);
	await rawQuery(db, 'vacuum analyze access_log_lines');
	return {
		lines: state.reduce((n, s) => n + s.lines, 0),
		loadSeconds,
		indexSeconds: (performance.now() - t1) / 1000
	};
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function grep(pattern: string, file: string): { ms: number; hits: number } {
	const t0 = performance.now();
	const r = spawnSync('grep', ['-E', '-n', pattern, file], {
		env: { ...process.env, LC_ALL: 'C' },
		maxBuffer: 512 * 2 ** 20,
		encoding: 'buffer'
	});
	const ms = performance.now() - t0;
	if (r.status !== 0 && r.status !== 1) throw new Error(`grep failed: ${r.stderr}`);
	const hits = r.stdout.length ? r.stdout.toString('latin1').trimEnd().split('\n').length : 0;
	return { ms, hits };
}

export async function benchAccessLogSearch(): Promise<SearchBench> {
	const empty = { mb: MB, lines: 0, loadSeconds: 0, indexSeconds: 0, results: [] };
	if (!(await postgresReachable())) return { ...empty, skipped: 'PostgreSQL not reachable' };
	const pg = await freshPostgres();
	const database = await openDatabase({ databaseUrl: pg.url, dataDir: 'memory://' });
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-b11-'));
	const rawFile = path.join(dir, 'access.log');
	try {
		const loaded = await load(database, rawFile);
		const admin: Principal = {
			userId: 0,
			username: 'bench',
			roles: [],
			permissions: new Set([SUPERUSER]),
			grants: []
		};
		const results: SearchBench['results'] = [];
		for (const p of PATTERNS) {
			const q = { pattern: p.pattern, regex: true, ignoreCase: false, limit: LIMIT };
			const g = grep(p.pattern, rawFile);
			const first = await searchAccessLogs(database.db, admin, q);
			const ours: number[] = [];
			const theirs: number[] = [];
			for (let i = 0; i < RUNS; i++) {
				const t0 = performance.now();
				await searchAccessLogs(database.db, admin, q);
				ours.push(performance.now() - t0);
				theirs.push(grep(p.pattern, rawFile).ms);
			}
			const ms = median(ours);
			const grepMs = median(theirs);
			results.push({
				...p,
				hits: first.hits.length,
				truncated: first.truncated,
				grepHits: g.hits,
				ms,
				grepMs,
				ratio: ms / grepMs
			});
		}
		return { mb: MB, ...loaded, results };
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
		await database.close();
		await pg.drop();
	}
}

/** The search found what grep found: all of it, or (past the limit) exactly the limit and said it stopped there. */
function agrees(r: SearchBench['results'][number]): boolean {
	return r.truncated ? r.hits === LIMIT && r.grepHits > LIMIT : r.hits === r.grepHits;
}

/** The lines to print and the docs/benchmarks.md section. */
export function searchReport(b: SearchBench, machine: string): { lines: string[]; section: string } {
	const rows = b.skipped
		? [[`Regex search over ${b.mb} MiB`, `not measured: ${b.skipped}`, '≤ 1.5× grep -E', false] as const]
		: b.results.map(
				(r, i) =>
					[
						// A | inside a table cell would end it.
						`${r.name}: \`${r.pattern.replace(/\|/g, '\\|')}\``,
						`${r.ms.toFixed(1)} ms, ${r.hits} lines${r.truncated ? ' (the newest, at the limit)' : ''} (grep -E ${r.grepMs.toFixed(1)} ms, ${r.grepHits} lines; ×${r.ratio.toFixed(2)})`,
						i === 0 ? '≤ 1.5× grep -E' : 'reported',
						(i > 0 || r.ratio <= 1.5) && agrees(r)
					] as const
			);
	const lines = rows.map(([w, v, t, ok]) => `${ok ? 'PASS' : 'MISS'}  B11 ${w}: ${v}  (target ${t})`);
	const section = `## Access-log search (B11)

A generated access log of ${b.mb} MiB of console output (${b.lines.toLocaleString('en')} lines: syslog-like lines, shell
prompts and colour escapes, with rare needles at fixed odds) over ${CONSOLES} consoles on ${DEVICES} devices, on the local
PostgreSQL. The line table is filled exactly as the line indexer derives it (escapes stripped, one row per 32 KiB
output record) and its trigram index built afterwards (load ${b.loadSeconds.toFixed(0)} s, index ${b.indexSeconds.toFixed(0)} s).
The search runs in-process through \`searchAccessLogs\` as \`accessLogs.search\` does (an administrator; every
match returned, limit 1000). Baseline, same run and data: \`LC_ALL=C grep -E -n\` over the raw output bytes in one
file. Median of ${RUNS} runs after one warm-up; hit counts must agree (past the limit, the search must return
exactly 1000 lines and say that more matched).${
		b.mb < TARGET_MB
			? `\n\nThe issue states the target for 2 GB; this run used ${b.mb} MiB (the default, which fits a few minutes). For\n2 GB: \`BENCH_ACCESSLOG_MB=2048 npm run bench -- accesslog-b11\` (loading takes most of the time).`
			: ''
	}

| Pattern | Result | Target | |
| --- | --- | --- | --- |
${rows.map(([w, v, t, ok]) => `| ${w} | ${v} | ${t} | ${ok ? 'met' : '**missed**'} |`).join('\n')}

${machine}
`;
	return { lines, section };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const machine = `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; load average ${os
		.loadavg()
		.map((l) => l.toFixed(1))
		.join(', ')}.`;
	const report = searchReport(await benchAccessLogSearch(), machine);
	for (const l of report.lines) console.log(l);
	if (process.env.BENCH_PRINT_SECTION) console.log(report.section);
}
