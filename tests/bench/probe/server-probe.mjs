// Benchmark probe, preloaded into a server under test (`node --expose-gc --import …/server-probe.mjs`).
// It measures from inside the process without touching the server's code: on an IPC message it answers
// with memory (optionally after a full GC), CPU time used so far, and the event-loop delay histogram since
// the last reset. Does nothing unless the process has an IPC channel (only benchmarks start it that way).
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

if (process.send) {
	const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
	h.enable();
	// The histogram records the time between checks, which is the resolution plus any delay.
	const lag = (v) => Math.max(0, v / 1e6 - RESOLUTION_MS);
	process.on('message', (m) => {
		if (!m || typeof m.probe !== 'string') return;
		if (m.probe === 'gc' && typeof globalThis.gc === 'function') {
			globalThis.gc();
			globalThis.gc();
		}
		const mem = process.memoryUsage();
		const cpu = process.cpuUsage();
		const reply = {
			probe: m.probe,
			id: m.id,
			at: Date.now(),
			rss: mem.rss,
			heapUsed: mem.heapUsed,
			external: mem.external,
			cpuUs: cpu.user + cpu.system,
			lag: {
				p50: lag(h.percentile(50)),
				p99: lag(h.percentile(99)),
				max: lag(h.max),
				samples: h.count
			}
		};
		if (m.probe === 'reset' || m.probe === 'gc') h.reset();
		process.send(reply);
	});
	// The channel must not keep a stopping server alive.
	process.channel?.unref();
}
