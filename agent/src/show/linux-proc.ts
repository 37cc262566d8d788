import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';

/** Per-CPU jiffies from /proc/stat, grouped the way the `cpus` table shows them. */
export interface CpuTimes {
	user: number;
	system: number;
	wait: number;
	idle: number;
	/** Everything, including steal (not shown on its own). */
	total: number;
}

/** /proc/stat: the aggregate line (`all`) and one entry per CPU, in index order. */
export async function readCpuTimes(): Promise<{ all: CpuTimes; cpus: CpuTimes[] }> {
	const text = await readFile('/proc/stat', 'utf8');
	let all: CpuTimes | undefined;
	const cpus: CpuTimes[] = [];
	for (const line of text.split('\n')) {
		const m = /^cpu(\d*)\s+(.*)$/.exec(line);
		if (!m) continue;
		// user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
		const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = m[2]
			.trim()
			.split(/\s+/)
			.map(Number);
		const t: CpuTimes = {
			user: user + nice,
			system: system + irq + softirq,
			wait: iowait,
			idle,
			total: user + nice + system + idle + iowait + irq + softirq + steal
		};
		if (m[1] === '') all = t;
		else cpus[Number(m[1])] = t;
	}
	if (!all) throw new Error('/proc/stat has no cpu line');
	return { all, cpus: cpus.filter(Boolean) };
}

export interface ProcSample {
	pid: number;
	comm: string;
	/** utime + stime, jiffies. */
	ticks: number;
	vsize: number;
	rssPages: number;
}

/** One reading of every process's /proc/PID/stat. Processes that vanish meanwhile are skipped. */
export async function readProcesses(): Promise<Map<number, ProcSample>> {
	const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
	const out = new Map<number, ProcSample>();
	await Promise.all(
		pids.map(async (d) => {
			try {
				const sample = parseProcStat(await readFile(`/proc/${d}/stat`, 'utf8'));
				if (sample) out.set(sample.pid, sample);
			} catch {
				// exited between readdir and read
			}
		})
	);
	return out;
}

/** `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split at the last `)`. */
export function parseProcStat(text: string): ProcSample | null {
	const open = text.indexOf('(');
	const close = text.lastIndexOf(')');
	if (open < 0 || close < open) return null;
	const pid = Number(text.slice(0, open).trim());
	const comm = text.slice(open + 1, close);
	// Fields from 3 (state) on; field n is rest[n - 3].
	const rest = text
		.slice(close + 1)
		.trim()
		.split(/\s+/);
	const utime = Number(rest[11]);
	const stime = Number(rest[12]);
	const vsize = Number(rest[20]);
	const rss = Number(rest[21]);
	if (!Number.isInteger(pid) || ![utime, stime, vsize, rss].every(Number.isFinite)) return null;
	return { pid, comm, ticks: utime + stime, vsize, rssPages: Math.max(0, rss) };
}

/** argv[0]'s base name, for names the kernel cut at 15 characters. */
export async function readCommandName(pid: number): Promise<string | null> {
	try {
		const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
		const argv0 = cmdline.split('\0')[0] ?? '';
		const base = argv0.split('/').pop() ?? '';
		return base || null;
	} catch {
		return null;
	}
}

let cachedPageSize: number | undefined;
export function pageSize(): number {
	if (cachedPageSize === undefined) {
		try {
			const n = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 2_000 }).trim());
			cachedPageSize = Number.isInteger(n) && n > 0 ? n : 4096;
		} catch {
			cachedPageSize = 4096;
		}
	}
	return cachedPageSize;
}
