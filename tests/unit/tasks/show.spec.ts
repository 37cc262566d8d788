import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	SHOW_COLUMNS,
	SHOW_TABLES,
	formatBytes,
	formatShowTable,
	type ShowResult,
	type ShowTable
} from '../../../src/lib/protocol/show';
import { signTask } from '../../../src/server/tasks/sign';
import { runShowCommand } from '../../../agent/src/cli-show';
import { collectShow, type CollectOptions } from '../../../agent/src/show/collect';
import { parseProcStat } from '../../../agent/src/show/linux-proc';
import { runTask } from '../../../agent/src/tasks/runner';
import { AGENT_ID, context, keyPair } from './helpers';

const keysOf = (t: ShowTable) => SHOW_COLUMNS[t].map((c) => c.key).sort();

/** A real busy process and a real idle one, so the processes table has something to measure. */
let spinner: ReturnType<typeof spawn>;
let sleeper: ReturnType<typeof spawn>;
beforeAll(() => {
	spinner = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
	sleeper = spawn(process.execPath, ['-e', 'setInterval(()=>{},60000)'], { stdio: 'ignore' });
});
afterAll(() => {
	spinner.kill('SIGKILL');
	sleeper.kill('SIGKILL');
});

const sources: [string, CollectOptions][] = [
	['native', { sampleMs: 500 }],
	['portable (systeminformation, os.cpus)', { sampleMs: 500, portable: true }]
];

describe.each(sources)('show tables on this machine: %s sources', (_name, opts) => {
	const collect = <T extends ShowTable>(table: T, extra: object = {}) =>
		collectShow({ table, ...extra }, opts) as Promise<Extract<ShowResult, { table: T }>>;

	it('cpus: one row per CPU with user/system/wait/idle percent', async () => {
		const { rows } = await collect('cpus');
		expect(rows).toHaveLength(cpus().length);
		rows.forEach((r, i) => {
			expect(Object.keys(r).sort()).toEqual(keysOf('cpus'));
			expect(r.cpu).toBe(i);
			for (const v of [r.user, r.system, r.idle, r.wait ?? 0]) {
				expect(v).toBeGreaterThanOrEqual(0);
				expect(v).toBeLessThanOrEqual(100);
			}
			const sum = r.user + r.system + r.idle + (r.wait ?? 0);
			expect(sum).toBeGreaterThan(50); // the rest is steal time on a VM
			expect(sum).toBeLessThanOrEqual(100.5);
		});
		// The spinner keeps at least one CPU busy.
		expect(Math.max(...rows.map((r) => r.user + r.system))).toBeGreaterThan(20);
		if (process.platform === 'linux' && !opts.portable) expect(rows.every((r) => r.wait !== null)).toBe(true);
	});

	it('filesystems: size, avail, used%, mount, device, type; the root filesystem is there', async () => {
		const { rows } = await collect('filesystems');
		expect(rows.length).toBeGreaterThan(0);
		for (const r of rows) {
			expect(Object.keys(r).sort()).toEqual(keysOf('filesystems'));
			expect(r.size).toBeGreaterThan(0);
			expect(r.avail).toBeLessThanOrEqual(r.size);
			expect(r.usedPct).toBeGreaterThanOrEqual(0);
			expect(r.usedPct).toBeLessThanOrEqual(100);
		}
		const root = rows.find((r) => r.mount === '/');
		expect(root).toBeDefined();
		expect(root!.device).not.toBe('');
		expect(root!.type).not.toBe('');
	});

	it('memory: real and swap rows with total = used + free', async () => {
		const { rows } = await collect('memory');
		expect(rows.map((r) => r.kind)).toEqual(['real', 'swap']);
		for (const r of rows) {
			expect(Object.keys(r).sort()).toEqual(keysOf('memory'));
			expect(r.used + r.free).toBeCloseTo(r.total, -6);
		}
		expect(rows[0].total).toBeGreaterThan(totalmem() * 0.9);
		expect(rows[0].total).toBeLessThan(totalmem() * 1.1);
		expect(rows[0].free).toBeGreaterThan(0);
	});

	it('processes: top 50 by CPU with pid, size, res, cpu, name; --all and limit', async () => {
		const { rows } = await collect('processes');
		expect(rows.length).toBeGreaterThan(1);
		expect(rows.length).toBeLessThanOrEqual(50);
		for (const r of rows) expect(Object.keys(r).sort()).toEqual(keysOf('processes'));
		for (let i = 1; i < rows.length; i++) expect(rows[i - 1].cpu).toBeGreaterThanOrEqual(rows[i].cpu);
		const spin = rows.find((r) => r.pid === spinner.pid);
		expect(spin).toBeDefined();
		// Other work on a shared machine takes its share; the spinner still gets a good part of a CPU.
		expect(spin!.cpu).toBeGreaterThan(5);
		expect(spin!.name).toMatch(/node/);
		expect(spin!.res).toBeGreaterThan(1024 * 1024);
		expect(spin!.size).toBeGreaterThan(spin!.res);

		const all = await collect('processes', { all: true });
		expect(all.rows.some((r) => r.pid === process.pid)).toBe(true);
		const idle = all.rows.find((r) => r.pid === sleeper.pid);
		expect(idle).toBeDefined();
		expect(idle!.cpu).toBeLessThan(5);
		expect(all.rows.length).toBeGreaterThanOrEqual(rows.length);
		expect((await collect('processes', { limit: 3 })).rows).toHaveLength(3);
	}, 30_000);
});

describe('show formatting and command', () => {
	it('formats sizes in binary units', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(1023)).toBe('1023 B');
		expect(formatBytes(1536)).toBe('1.5 KiB');
		expect(formatBytes(812 * 1024 * 1024)).toBe('812 MiB');
		expect(formatBytes(15.5 * 1024 ** 3)).toBe('15.5 GiB');
		expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
	});

	it('aligns a table: numbers right, text left, the same header on every OS', () => {
		const text = formatShowTable({
			table: 'processes',
			rows: [
				{ pid: 1, size: 170 * 1024 * 1024, res: 12 * 1024 * 1024, cpu: 0, name: 'systemd' },
				{ pid: 31337, size: 2 * 1024 ** 3, res: 1536, cpu: 104.25, name: 'postgres' }
			]
		});
		expect(text).toBe(
			[
				'  PID     SIZE       RES   CPU%  NAME',
				'    1  170 MiB  12.0 MiB    0.0  systemd',
				'31337  2.0 GiB   1.5 KiB  104.3  postgres',
				''
			].join('\n')
		);
		const memory = formatShowTable({ table: 'memory', rows: [{ kind: 'swap', total: 0, used: 0, free: 0 }] });
		expect(memory.split('\n')[0]).toBe('MEMORY  TOTAL  USED  FREE');
	});

	const io = () => {
		const out = { stdout: '', stderr: '' };
		return {
			out,
			io: {
				stdout: { write: (s: string) => (out.stdout += s) },
				stderr: { write: (s: string) => (out.stderr += s) }
			}
		};
	};

	it.each(SHOW_TABLES)('`show %s` prints a table and `--json` the rows', async (table) => {
		const text = io();
		expect(await runShowCommand([table], text.io, { sampleMs: 200 })).toBe(0);
		const lines = text.out.stdout.trimEnd().split('\n');
		expect(lines[0].split(/\s+/).filter(Boolean)).toEqual(SHOW_COLUMNS[table].map((c) => c.label));
		expect(lines.length).toBeGreaterThan(1);

		const json = io();
		expect(await runShowCommand([table, '--json'], json.io, { sampleMs: 200 })).toBe(0);
		const rows = JSON.parse(json.out.stdout) as Record<string, unknown>[];
		expect(rows.length).toBe(lines.length - 1);
		expect(Object.keys(rows[0]).sort()).toEqual(keysOf(table));
	});

	it('explains bad usage with exit code 2', async () => {
		for (const argv of [
			[],
			['disks'],
			['cpus', 'memory'],
			['cpus', '--all'],
			['processes', '--limit', '0'],
			['memory', '--nope']
		]) {
			const r = io();
			expect(await runShowCommand(argv, r.io)).toBe(2);
			expect(r.out.stderr).toMatch(/Usage: fleetdesk-agent show/);
			expect(r.out.stdout).toBe('');
		}
		const help = io();
		expect(await runShowCommand(['--help'], help.io)).toBe(0);
		expect(help.out.stdout).toMatch(/processes/);
	});

	it('answers a signed show task with JSON rows', async () => {
		const { privateKey, publicKey } = keyPair();
		const ctx = context(publicKey);
		const final = await runTask(
			signTask(privateKey, { agentId: AGENT_ID, kind: 'show', args: { table: 'processes', limit: 5 } }),
			ctx
		);
		expect(final.state).toBe('succeeded');
		const result = (final as { result: ShowResult }).result;
		expect(result.table).toBe('processes');
		expect(result.rows).toHaveLength(5);
		expect(JSON.parse(JSON.stringify(result))).toEqual(result);
		expect(ctx.statuses.map((s) => s.state)).toEqual(['running', 'succeeded']);
	});

	it('parses /proc/PID/stat names with spaces and parentheses', () => {
		const line =
			'4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 123456789 2048 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
		expect(parseProcStat(line)).toEqual({
			pid: 4242,
			comm: 'my (odd) name',
			ticks: 300,
			vsize: 123456789,
			rssPages: 2048
		});
	});
});
