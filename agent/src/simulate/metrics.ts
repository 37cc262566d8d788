// Resource samples for a virtual agent, consistent with its inventory (cores, memory, filesystems): busier by
// day than by night, with noise; about one host in five is nearly idle, so the idle-servers report finds some.
import type { MetricsSample } from '../../../src/lib/protocol/metrics';
import type { Sampler } from '../modules/metrics/sampler';
import { usedShare, type Profile } from './profile';
import { hash32, seeded } from './rng';

const clamp = (n: number) => Math.round(Math.min(100, Math.max(0, n)) * 10) / 10;

/** How busy a host is on average (percent), fixed per host. */
export function baseLoad(p: Profile): number {
	const r = seeded(p.hostname + '#load');
	return r() < 0.2 ? 0.3 + r() * 1.5 : 5 + r() * 55;
}

export function profileSampler(p: Profile, clock: () => number = Date.now): Sampler {
	const r = seeded(`${p.hostname}#metrics#${clock()}`);
	const base = baseLoad(p);
	const memTotal = p.memMb * 1024 * 1024;
	const swapTotal = p.swapMb * 1024 * 1024;
	let memPct = 15 + (hash32(p.hostname + '#mem') % 60);
	return async (): Promise<MetricsSample> => {
		const now = clock();
		const daily = 0.6 + 0.4 * Math.sin(((now / 3_600_000) % 24) * (Math.PI / 12));
		const total = clamp(base * daily + (r() - 0.5) * Math.min(base, 8));
		memPct = Math.min(95, Math.max(5, memPct + (r() - 0.5) * 2));
		const load = (total / 100) * p.threads;
		return {
			at: new Date(now).toISOString(),
			cpu: { total, cores: Array.from({ length: p.threads }, () => clamp(total + (r() - 0.5) * 12)) },
			memory: { total: memTotal, used: Math.round((memTotal * memPct) / 100) },
			swap: { total: swapTotal, used: Math.round(swapTotal * 0.05 * r()) },
			load: [load, load * 0.92, load * 0.85].map((n) => Math.round(n * 100) / 100) as [
				number,
				number,
				number
			],
			filesystems: p.filesystems.map((f) => {
				const share = usedShare(p.hostname, f, now);
				return {
					mount: f.mount,
					size: f.sizeBytes,
					used: Math.round(f.sizeBytes * share),
					usedPct: clamp(share * 100)
				};
			})
		};
	};
}
