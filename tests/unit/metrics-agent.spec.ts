// The agent's metrics module parts: CPU arithmetic, filesystem cap, batching, and that this host's samples
// are what the protocol accepts.
import { describe, expect, it } from 'vitest';
import { SampleBatcher, BATCH_SAMPLES } from '../../agent/src/modules/metrics/batch';
import { busyPct, hostSampler, pickFilesystems } from '../../agent/src/modules/metrics/sampler';
import {
	MAX_METRIC_FILESYSTEMS,
	metricsReportSchema,
	metricsSampleSchema,
	type MetricsSample
} from '../../src/lib/protocol/metrics';
import { REPORT_BODIES } from '../../src/lib/protocol/agent';

const times = (user: number, system: number, wait: number, idle: number) => ({
	user,
	system,
	wait,
	idle,
	total: user + system + wait + idle
});

describe('CPU busy percent', () => {
	it('is everything but idle and I/O wait, between two readings', () => {
		expect(busyPct(times(100, 50, 10, 840), times(130, 60, 30, 880))).toBe(40);
		expect(busyPct(times(0, 0, 0, 0), times(0, 0, 0, 100))).toBe(0);
		expect(busyPct(times(0, 0, 0, 0), times(100, 0, 0, 0))).toBe(100);
	});
	it('treats a CPU that did not tick, or a counter that went back, as idle', () => {
		expect(busyPct(times(10, 0, 0, 10), times(10, 0, 0, 10))).toBe(0);
		expect(busyPct(times(100, 0, 0, 100), times(1, 0, 0, 1))).toBe(0);
	});
});

describe('filesystems in a sample', () => {
	it('keeps / and the largest others, at most the protocol’s limit, sorted by mount', () => {
		const list = Array.from({ length: 100 }, (_, i) => ({
			mount: `/m/${String(i).padStart(3, '0')}`,
			size: i,
			used: 0,
			usedPct: 0
		}));
		list.push({ mount: '/', size: 0, used: 0, usedPct: 0 });
		const picked = pickFilesystems(list);
		expect(picked).toHaveLength(MAX_METRIC_FILESYSTEMS);
		expect(picked[0].mount).toBe('/');
		expect(picked[1].mount).toBe(`/m/0${100 - MAX_METRIC_FILESYSTEMS + 1}`);
		expect(pickFilesystems([{ mount: '/' + 'x'.repeat(600), size: 1, used: 0, usedPct: 0 }])).toEqual([]);
	});
});

describe('batching while the link is down', () => {
	const s = (i: number): MetricsSample => ({
		at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
		cpu: { total: i, cores: [i] },
		memory: { total: 10, used: 1 },
		swap: { total: 0, used: 0 },
		load: [0, 0, 0],
		filesystems: []
	});

	it('sends each sample at once while the link keeps up', () => {
		const sent: number[] = [];
		const b = new SampleBatcher(
			(x) => (sent.push(x.length), true),
			() => 0
		);
		for (let i = 0; i < 5; i++) b.add(s(i));
		expect(sent).toEqual([1, 1, 1, 1, 1]);
	});

	it('holds samples while reports pile up, sends full batches, and the rest when the link is back', () => {
		const sent: MetricsSample[][] = [];
		let backlog = 5;
		const b = new SampleBatcher(
			(x) => (sent.push(x), true),
			() => backlog
		);
		for (let i = 0; i < BATCH_SAMPLES + 7; i++) b.add(s(i));
		expect(sent.map((x) => x.length)).toEqual([BATCH_SAMPLES]);
		expect(b.holding).toBe(7);
		backlog = 0;
		b.flush();
		expect(sent.map((x) => x.length)).toEqual([BATCH_SAMPLES, 7]);
		// in order, none lost or repeated
		expect(sent.flat().map((x) => x.cpu.total)).toEqual(
			Array.from({ length: BATCH_SAMPLES + 7 }, (_, i) => i)
		);
		for (const samples of sent) expect(metricsReportSchema.safeParse({ samples }).success).toBe(true);
	});

	it('never makes a batch larger than its byte bound', () => {
		const sent: number[] = [];
		const one = Buffer.byteLength(JSON.stringify(s(1)));
		const b = new SampleBatcher(
			(x) => (sent.push(x.length), true),
			() => 99,
			{ samples: 1000, bytes: one * 3 + 1 }
		);
		for (let i = 0; i < 10; i++) b.add(s(i));
		expect(sent).toEqual([3, 3, 3]);
	});
});

describe('samples the protocol accepts', () => {
	it('from this host', async () => {
		const sample = hostSampler();
		await new Promise((r) => setTimeout(r, 200));
		const x = await sample();
		const p = metricsSampleSchema.safeParse(x);
		expect(p.success, JSON.stringify(p.error?.issues)).toBe(true);
		expect(x.memory.total).toBeGreaterThan(0);
		expect(x.cpu.cores.length).toBeGreaterThan(0);
		expect(x.filesystems.some((f) => f.mount === '/')).toBe(true);
		expect(REPORT_BODIES.metrics.safeParse({ samples: [x] }).success).toBe(true);
	});

	it('and refuses what is out of bounds', () => {
		const bad = { samples: [{ ...(null as unknown as object) }] };
		expect(metricsReportSchema.safeParse(bad).success).toBe(false);
		expect(metricsReportSchema.safeParse({ samples: [] }).success).toBe(false);
	});
});
