// Benchmarks B3–B6 of the consoles (issue 5): keystroke echo, echo during a flood, output fan-out, one stalled
// viewer. Both rigs (consoles-rig.ts) run side by side; the Fleetdesk and baseline measurements alternate so
// the load of a shared machine falls on both. Called by scripts/bench.js (`npm run bench -- consoles` or
// consoles-b3 … consoles-b6); writes its sections of docs/benchmarks.md (consoles-report.ts).
import os from 'node:os';
import {
	cpuMs,
	startBaseline,
	startFleetdesk,
	untilQuiet,
	FLOOD_BYTES,
	type FleetdeskRig,
	type Rig
} from './consoles-rig';
import { echoRun, emptyEcho, floodRun, Tap, type EchoSamples, type FloodResult } from './consoles-measure';
import { benchAccessLogWriter, type WriterResult } from './consoles-logging';
import { writeConsoleSections } from './consoles-report';

const ECHO_SAMPLES = Number(process.env.BENCH_ECHO_SAMPLES ?? 1000);
const ROUNDS = 5;
export const FANOUT_VIEWERS = [1, 10, 50];

const load = () =>
	os
		.loadavg()
		.map((l) => l.toFixed(1))
		.join(', ');
const say = (s: string) => console.log(`consoles: ${s}`);

export interface Loads {
	start: string;
	end: string;
}

export interface B3Result {
	viewers: number;
	fleetdesk: EchoSamples;
	baseline: EchoSamples;
}
export interface B4Result {
	fleetdesk: FloodResult;
	baseline: FloodResult;
}
export interface B5Result {
	viewers: number;
	fleetdesk: FloodResult;
	baseline: FloodResult;
	/** CPU of the server, agent and PostgreSQL backends from the keystroke until they were quiet again, ms. */
	cpuUntilQuietMs: number;
}
export interface B6Result {
	reference: FloodResult[];
	stalled: FloodResult[];
	/** `console:behind` messages the stalled viewer got, per stalled run. */
	behind: number[];
}

export interface ConsoleResults {
	database: string;
	b3?: { runs: B3Result[]; loads: Loads };
	b4?: B4Result & { loads: Loads };
	b5?: { runs: B5Result[]; writer: WriterResult; loads: Loads };
	b6?: B6Result & { loads: Loads };
}

async function taps(rig: Rig, n: number): Promise<Tap[]> {
	return (await rig.clients(n)).map((c) => new Tap(c));
}

function close(ts: Tap[]): void {
	for (const t of ts) t.client.close();
}

async function b3(fd: FleetdeskRig, base: Rig): Promise<B3Result[]> {
	const out: B3Result[] = [];
	for (const viewers of [1, 10]) {
		const r: B3Result = { viewers, fleetdesk: emptyEcho(), baseline: emptyEcho() };
		const f = await taps(fd, viewers);
		const b = await taps(base, viewers);
		await echoRun(f, 30, emptyEcho());
		await echoRun(b, 30, emptyEcho());
		for (let i = 0; i < ROUNDS; i++) {
			await echoRun(f, Math.ceil(ECHO_SAMPLES / ROUNDS), r.fleetdesk);
			await echoRun(b, Math.ceil(ECHO_SAMPLES / ROUNDS), r.baseline);
		}
		close(f);
		close(b);
		say(`B3 ${viewers} viewer(s) done`);
		out.push(r);
	}
	return out;
}

async function flood(rig: Rig, viewers: number, o: Parameters<typeof floodRun>[1] = {}) {
	const ts = await taps(rig, viewers);
	try {
		const stalled = o.stalled ? [ts[ts.length - 1]] : undefined;
		const r = await floodRun(ts, { ...o, stalled });
		// A viewer told it fell behind; give it a moment to read what it was sent.
		if (stalled) await new Promise((res) => setTimeout(res, 2000));
		return { r, behind: stalled ? stalled[0].client.behind : 0 };
	} finally {
		close(ts);
		await new Promise((res) => setTimeout(res, 500));
	}
}

async function b5(fd: FleetdeskRig, base: Rig): Promise<B5Result[]> {
	const out: B5Result[] = [];
	for (const viewers of FANOUT_VIEWERS) {
		// The server's CPU (with its agent and database backends) from the keystroke until it is quiet again, so
		// what it still commits and indexes after the viewers had everything counts too.
		const pids0 = await fd.backendPids();
		const everyone = async () => [...new Set([...fd.pids(), ...pids0, ...(await fd.backendPids())])];
		const c0 = cpuMs(await everyone());
		const f = await flood(fd, viewers, { rssPid: fd.server.proc.pid, cpuPids: fd.pids() });
		const cpuUntilQuietMs = (await untilQuiet(everyone)) - c0;
		const b = await flood(base, viewers, { cpuPids: base.pids() });
		say(
			`B5 ${viewers} viewer(s): ${f.r.perViewerMiBs.toFixed(1)} MiB/s (baseline ${b.r.perViewerMiBs.toFixed(1)} MiB/s)`
		);
		out.push({ viewers, fleetdesk: f.r, baseline: b.r, cpuUntilQuietMs });
	}
	return out;
}

async function b6(fd: FleetdeskRig): Promise<B6Result> {
	const res: B6Result = { reference: [], stalled: [], behind: [] };
	for (let i = 0; i < Number(process.env.BENCH_STALL_RUNS ?? 3); i++) {
		res.reference.push((await flood(fd, 10, { rssPid: fd.server.proc.pid })).r);
		const s = await flood(fd, 10, { rssPid: fd.server.proc.pid, stalled: [] });
		res.stalled.push(s.r);
		res.behind.push(s.behind);
		say(
			`B6 run ${i + 1}: ${res.reference.at(-1)!.perViewerMiBs.toFixed(1)} MiB/s without, ${s.r.perViewerMiBs.toFixed(1)} MiB/s with a stalled viewer`
		);
	}
	return res;
}

export async function runConsoleBenchmarks(which: string[]): Promise<ConsoleResults> {
	const all = which.includes('consoles');
	const want = (b: string) => all || which.includes(`consoles-${b}`);
	say(`starting the Fleetdesk server, agent and console; the baseline relay (load ${load()})`);
	const fd = await startFleetdesk();
	const base = await startBaseline().catch(async (e) => {
		await fd.stop();
		throw e;
	});
	const results: ConsoleResults = { database: fd.database };
	try {
		await new Promise((r) => setTimeout(r, 1500)); // the PTY program starts
		if (want('b3')) {
			const start = load();
			const runs = await b3(fd, base);
			results.b3 = { runs, loads: { start, end: load() } };
		}
		if (want('b4')) {
			const start = load();
			const f = (await flood(fd, 1, { probeEveryMs: 10 })).r;
			const b = (await flood(base, 1, { probeEveryMs: 10 })).r;
			say(`B4 p99 echo during the flood: ${Math.max(...f.echo.typer).toFixed(1)} ms max`);
			results.b4 = { fleetdesk: f, baseline: b, loads: { start, end: load() } };
		}
		if (want('b5')) {
			const start = load();
			const runs = await b5(fd, base);
			say(`B5: the access-log writer alone, ${FLOOD_BYTES / 2 ** 20} MiB`);
			const writer = await benchAccessLogWriter(fd.database);
			results.b5 = { runs, writer, loads: { start, end: load() } };
		}
		if (want('b6')) {
			const start = load();
			const r = await b6(fd);
			results.b6 = { ...r, loads: { start, end: load() } };
		}
	} finally {
		await base.stop();
		await fd.stop();
	}
	writeConsoleSections(results);
	return results;
}
