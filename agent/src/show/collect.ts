import { cpus as osCpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as si from 'systeminformation';
import {
	SHOW_PROCESSES_DEFAULT_LIMIT,
	type ShowArgs,
	type ShowCpuRow,
	type ShowFilesystemRow,
	type ShowMemoryRow,
	type ShowProcessRow,
	type ShowResult
} from '../../../src/lib/protocol/show';
import { pageSize, readCommandName, readCpuTimes, readProcesses, type CpuTimes } from './linux-proc';

export interface CollectOptions {
	/** CPU figures are measured between two readings this far apart. Default 1 s. */
	sampleMs?: number;
	/** Use the portable sources (systeminformation, os.cpus) even on Linux; for tests. */
	portable?: boolean;
}

const useProc = (opts: CollectOptions) => process.platform === 'linux' && !opts.portable;
const round1 = (n: number) => Math.round(n * 10) / 10;
const pct = (part: number, whole: number) => (whole > 0 ? round1((part / whole) * 100) : 0);

/** Collect one `show` table: the same columns on every OS, raw numbers (bytes, percent). */
export async function collectShow(args: ShowArgs, opts: CollectOptions = {}): Promise<ShowResult> {
	switch (args.table) {
		case 'cpus':
			return { table: 'cpus', rows: await collectCpus(opts) };
		case 'filesystems':
			return { table: 'filesystems', rows: await collectFilesystems() };
		case 'memory':
			return { table: 'memory', rows: await collectMemory() };
		case 'processes':
			return {
				table: 'processes',
				rows: await collectProcesses({ ...opts, limit: args.all ? Infinity : args.limit })
			};
	}
}

/** Per CPU: user, system, I/O wait and idle percent over the sample. */
export async function collectCpus(opts: CollectOptions = {}): Promise<ShowCpuRow[]> {
	const sampleMs = opts.sampleMs ?? 1_000;
	if (useProc(opts)) {
		const a = await readCpuTimes();
		await sleep(sampleMs);
		const b = await readCpuTimes();
		return b.cpus.map((t, i) => cpuRow(i, a.cpus[i] ?? zeroTimes(), t, true));
	}
	// os.cpus() has no I/O wait on any platform: shown as not reported.
	const toTimes = (c: ReturnType<typeof osCpus>[number]): CpuTimes => ({
		user: c.times.user + c.times.nice,
		system: c.times.sys + c.times.irq,
		wait: 0,
		idle: c.times.idle,
		total: c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle
	});
	const a = osCpus().map(toTimes);
	await sleep(sampleMs);
	return osCpus()
		.map(toTimes)
		.map((t, i) => cpuRow(i, a[i] ?? zeroTimes(), t, false));
}

function zeroTimes(): CpuTimes {
	return { user: 0, system: 0, wait: 0, idle: 0, total: 0 };
}

function cpuRow(cpu: number, a: CpuTimes, b: CpuTimes, hasWait: boolean): ShowCpuRow {
	const total = b.total - a.total;
	// An idle CPU that ticked nothing during the sample (tickless kernels) counts as idle.
	if (total <= 0) return { cpu, user: 0, system: 0, wait: hasWait ? 0 : null, idle: 100 };
	return {
		cpu,
		user: pct(b.user - a.user, total),
		system: pct(b.system - a.system, total),
		wait: hasWait ? pct(b.wait - a.wait, total) : null,
		idle: pct(b.idle - a.idle, total)
	};
}

/** Mounted filesystems with a size: size, avail, used%, mount, device, type. */
export async function collectFilesystems(): Promise<ShowFilesystemRow[]> {
	const list = await si.fsSize();
	return list
		.filter((f) => Number.isFinite(f.size) && f.size > 0)
		.map((f) => {
			const avail = Number.isFinite(f.available) ? f.available : Math.max(0, f.size - f.used);
			return {
				size: f.size,
				avail,
				// df's definition: used of what non-root users can use.
				usedPct: Number.isFinite(f.use) ? round1(f.use) : pct(f.used, f.used + avail),
				mount: f.mount,
				device: f.fs,
				type: f.type
			};
		})
		.sort((x, y) => x.mount.localeCompare(y.mount));
}

/** Real memory (free = available without swapping) and swap, in bytes. */
export async function collectMemory(): Promise<ShowMemoryRow[]> {
	const m = await si.mem();
	const free = Number.isFinite(m.available) && m.available > 0 ? m.available : m.free;
	return [
		{ kind: 'real', total: m.total, used: Math.max(0, m.total - free), free },
		{ kind: 'swap', total: m.swaptotal, used: m.swapused, free: m.swapfree }
	];
}

/** Processes, busiest first: pid, virtual size, resident size, percent of one CPU, name. */
export async function collectProcesses(
	opts: CollectOptions & { limit?: number } = {}
): Promise<ShowProcessRow[]> {
	const limit = opts.limit ?? SHOW_PROCESSES_DEFAULT_LIMIT;
	let rows: ShowProcessRow[];
	if (useProc(opts)) {
		const sampleMs = opts.sampleMs ?? 1_000;
		const [ta, pa] = await Promise.all([readCpuTimes(), readProcesses()]);
		await sleep(sampleMs);
		const [tb, pb] = await Promise.all([readCpuTimes(), readProcesses()]);
		// Jiffies of one CPU during the sample, measured on the same clock as the processes' own.
		const perCpu = (tb.all.total - ta.all.total) / Math.max(1, tb.cpus.length);
		const page = pageSize();
		rows = [...pb.values()].map((p) => ({
			pid: p.pid,
			size: p.vsize,
			res: p.rssPages * page,
			cpu: perCpu > 0 ? pct(Math.max(0, p.ticks - (pa.get(p.pid)?.ticks ?? 0)), perCpu) : 0,
			name: p.comm
		}));
	} else {
		// systeminformation measures CPU between two calls, and answers calls < 500 ms apart from a cache.
		await si.processes();
		await sleep(Math.max(opts.sampleMs ?? 1_000, 600));
		const { list } = await si.processes();
		// On Linux and Windows it reports a share of the whole machine; on macOS and BSD (ps) of one CPU.
		const scale = process.platform === 'linux' || process.platform === 'win32' ? osCpus().length : 1;
		rows = list.map((p) => ({
			pid: p.pid,
			size: (p.memVsz || 0) * 1024,
			res: (p.memRss || 0) * 1024,
			cpu: round1((p.cpu || 0) * scale),
			name: p.name
		}));
	}
	rows.sort((a, b) => b.cpu - a.cpu || b.res - a.res || a.pid - b.pid);
	if (Number.isFinite(limit)) rows = rows.slice(0, limit);
	if (useProc(opts)) {
		// The kernel keeps 15 characters of a name; take the full one from argv[0] when it extends it.
		await Promise.all(
			rows
				.filter((r) => r.name.length >= 15)
				.map(async (r) => {
					const full = await readCommandName(r.pid);
					if (full && full.startsWith(r.name)) r.name = full;
				})
		);
	}
	return rows;
}
