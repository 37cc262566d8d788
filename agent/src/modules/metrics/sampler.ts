// One resource sample of this host: CPU busy since the previous sample (so no sleeping), memory, swap,
// filesystems and load. Reuses the `show` collectors, so the numbers match `fleetdesk-agent show`.
import os from 'node:os';
import {
	MAX_METRIC_CORES,
	MAX_METRIC_FILESYSTEMS,
	type MetricsFilesystem,
	type MetricsSample
} from '../../../../src/lib/protocol/metrics';
import { collectFilesystems, collectMemory } from '../../show/collect';
import { readCpuTimes, type CpuTimes } from '../../show/linux-proc';

export type Sampler = () => Promise<MetricsSample>;

/** A stale network mount can hang df; a sample goes out without filesystems rather than not at all. */
const FILESYSTEMS_TIMEOUT_MS = 10_000;

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Busy percent between two readings: everything but idle and I/O wait. */
export function busyPct(a: CpuTimes, b: CpuTimes): number {
	const total = b.total - a.total;
	// A CPU that ticked nothing (tickless kernels, or a counter reset) counts as idle.
	if (total <= 0) return 0;
	const idle = b.idle - a.idle + (b.wait - a.wait);
	return Math.min(100, Math.max(0, round1(((total - idle) / total) * 100)));
}

async function readTimes(): Promise<{ all: CpuTimes; cpus: CpuTimes[] }> {
	if (process.platform === 'linux') return readCpuTimes();
	const cpus = os.cpus().map((c): CpuTimes => ({
		user: c.times.user + c.times.nice,
		system: c.times.sys + c.times.irq,
		wait: 0,
		idle: c.times.idle,
		total: c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle
	}));
	const all = cpus.reduce(
		(s, c) => ({
			user: s.user + c.user,
			system: s.system + c.system,
			wait: 0,
			idle: s.idle + c.idle,
			total: s.total + c.total
		}),
		{ user: 0, system: 0, wait: 0, idle: 0, total: 0 }
	);
	return { all, cpus };
}

/** The largest filesystems (always `/`), by mount point; mounts too long for the protocol are left out. */
export function pickFilesystems(
	list: MetricsFilesystem[],
	max = MAX_METRIC_FILESYSTEMS
): MetricsFilesystem[] {
	const ok = list.filter((f) => f.mount.length > 0 && f.mount.length <= 512);
	const ranked = [...ok].sort((x, y) => (x.mount === '/' ? -1 : y.mount === '/' ? 1 : y.size - x.size));
	return ranked.slice(0, max).sort((x, y) => x.mount.localeCompare(y.mount));
}

async function filesystems(): Promise<MetricsFilesystem[]> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), FILESYSTEMS_TIMEOUT_MS)));
	try {
		const rows = await Promise.race([collectFilesystems(), timeout]);
		if (!rows) return [];
		return pickFilesystems(
			rows.map((f) => ({
				mount: f.mount,
				size: Math.round(f.size),
				used: Math.round(Math.max(0, f.size - f.avail)),
				usedPct: Math.min(100, Math.max(0, f.usedPct))
			}))
		);
	} finally {
		clearTimeout(timer);
	}
}

/** Samples this host. The first call measures CPU since the sampler was made. */
export function hostSampler(): Sampler {
	let prev = readTimes();
	return async () => {
		const before = await prev.catch(() => null);
		const now = await readTimes();
		prev = Promise.resolve(now);
		const [mem, fs] = await Promise.all([collectMemory(), filesystems()]);
		const real = mem.find((m) => m.kind === 'real')!;
		const swap = mem.find((m) => m.kind === 'swap')!;
		const load = os.loadavg();
		return {
			at: new Date().toISOString(),
			cpu: {
				total: before ? busyPct(before.all, now.all) : 0,
				cores: now.cpus
					.slice(0, MAX_METRIC_CORES)
					.map((c, i) => (before?.cpus[i] ? busyPct(before.cpus[i], c) : 0))
			},
			memory: { total: Math.round(real.total), used: Math.round(Math.min(real.used, real.total)) },
			swap: { total: Math.round(swap.total), used: Math.round(Math.min(swap.used, swap.total)) },
			load: process.platform === 'win32' ? null : [round2(load[0]), round2(load[1]), round2(load[2])],
			filesystems: fs
		};
	};
}

const round2 = (n: number) => Math.max(0, Math.round(n * 100) / 100);
