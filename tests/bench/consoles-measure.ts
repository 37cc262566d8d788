// What the console benchmarks measure on either rig (consoles-rig.ts): keystroke echo round trips, floods
// fanned out to viewers (bytes and time per viewer, echo during the flood), and the server's memory meanwhile.
import { cpuMs, FLOOD_BYTES, rssBytes, type Client } from './consoles-rig';

/** Keystrokes are lower-case letters; the flood is dots and newlines, the markers upper case. */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const END = Buffer.from('#END#');
/** What a flood puts out besides its text: the echoed "F" and "#END#\n". */
const FLOOD_EXTRA = 1 + 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One viewer's tap: counts a flood's bytes until the end marker, and spots an awaited keystroke's echo. */
export class Tap {
	bytes = 0;
	endAt = 0;
	counting = false;
	private tail = Buffer.alloc(0);
	private watch: { code: number; hit: (at: number) => void } | null = null;
	private onEnd: ((reached: boolean) => void) | null = null;

	constructor(readonly client: Client) {
		client.onData = (d) => this.data(d);
		// Put out of the fan-out for falling behind: the end marker will not come (its bytes count as missing).
		client.onBehind = () => {
			if (this.counting && !this.endAt) this.onEnd?.(false);
		};
	}

	private data(d: Buffer): void {
		const now = performance.now();
		if (this.watch && d.indexOf(this.watch.code) >= 0) {
			const w = this.watch;
			this.watch = null;
			w.hit(now);
		}
		if (!this.counting || this.endAt) return;
		this.bytes += d.length;
		if (d.includes(END) || Buffer.concat([this.tail, d.subarray(0, END.length)]).includes(END)) {
			this.endAt = now;
			this.onEnd?.(true);
		}
		this.tail = Buffer.from(d.subarray(Math.max(0, d.length - END.length)));
	}

	/** Resolves with the time the letter's echo arrived, or null after `timeoutMs`. */
	awaitEcho(code: number, timeoutMs: number): Promise<number | null> {
		return new Promise((resolve) => {
			const t = setTimeout(() => {
				this.watch = null;
				resolve(null);
			}, timeoutMs);
			this.watch = {
				code,
				hit: (at) => {
					clearTimeout(t);
					resolve(at);
				}
			};
		});
	}

	startCounting(): void {
		this.bytes = 0;
		this.endAt = 0;
		this.tail = Buffer.alloc(0);
		this.counting = true;
	}

	ended(timeoutMs: number): Promise<boolean> {
		if (this.endAt) return Promise.resolve(true);
		return new Promise((resolve) => {
			const t = setTimeout(() => {
				this.onEnd = null;
				resolve(false);
			}, timeoutMs);
			this.onEnd = (reached) => {
				clearTimeout(t);
				this.onEnd = null;
				resolve(reached);
			};
		});
	}
}

export interface EchoSamples {
	/** Round trip at the viewer who typed, ms. */
	typer: number[];
	/** Until every viewer had the echo, ms. */
	all: number[];
	timeouts: number;
}

export function emptyEcho(): EchoSamples {
	return { typer: [], all: [], timeouts: 0 };
}

/**
 * `count` keystrokes, one at a time: the first tap's client types a letter; timed until its echo reaches that
 * viewer and until it reached every viewer. `gapMs` between keystrokes (a fast typist).
 */
export async function echoRun(taps: Tap[], count: number, into: EchoSamples, gapMs = 5): Promise<void> {
	for (let i = 0; i < count; i++) {
		const letter = LETTERS[i % LETTERS.length];
		const code = letter.charCodeAt(0);
		const waits = taps.map((t) => t.awaitEcho(code, 2000));
		const t0 = performance.now();
		taps[0].client.send(letter);
		const at = await Promise.all(waits);
		if (at.some((x) => x === null)) {
			into.timeouts++;
			await sleep(500); // let a late echo pass before the next letter
			continue;
		}
		into.typer.push(at[0]! - t0);
		into.all.push(Math.max(...(at as number[])) - t0);
		await sleep(gapMs);
	}
}

export interface FloodResult {
	/** Per viewer that was reading: ms from the trigger to the end marker, and bytes received. */
	ms: number[];
	bytes: number[];
	/** Flood bytes that never reached the reading viewer who got least (lost before the server, or dropped). */
	missingBytes: number;
	/** … and the one who got most: when this is 0 too, nothing was lost before the fan-out. */
	fewestMissingBytes: number;
	/** `console:behind` messages the reading viewers got (the server stopped sending to them for a while). */
	behind: number;
	/** MiB/s per viewer: the flood's size over the time until the last reading viewer had all of it. */
	perViewerMiBs: number;
	/** Keystroke echoes typed every `probeEveryMs` during the flood (round trip at the typer). */
	echo: EchoSamples;
	/** Server-side RSS: before, and the highest sampled during the flood (bytes). */
	rssBefore: number;
	rssPeak: number;
	/** CPU time (ms) of the rig's processes during the flood. */
	cpuMs: number;
	completed: boolean;
}

export interface FloodOptions {
	/** Type a letter this often during the flood and time its echo (B4); 0: no typing. */
	probeEveryMs?: number;
	/** Taps that stop reading their socket for the whole flood (B6); they are not waited for. */
	stalled?: Tap[];
	/** The process whose RSS is sampled (the server side). */
	rssPid?: number;
	/** Processes whose CPU time is counted. */
	cpuPids?: number[];
	timeoutMs?: number;
}

/** One flood of FLOOD_BYTES, triggered by the first tap's client, received by every tap. */
export async function floodRun(taps: Tap[], o: FloodOptions = {}): Promise<FloodResult> {
	const stalled = new Set(o.stalled ?? []);
	const reading = taps.filter((t) => !stalled.has(t));
	for (const t of taps) t.startCounting();
	for (const t of stalled) t.client.pause();
	const rssBefore = o.rssPid ? rssBytes(o.rssPid) : 0;
	let rssPeak = rssBefore;
	const sampler = o.rssPid
		? setInterval(() => {
				rssPeak = Math.max(rssPeak, rssBytes(o.rssPid!));
			}, 50)
		: null;
	const cpu0 = cpuMs(o.cpuPids ?? []);
	const behind0 = reading.reduce((n, t) => n + t.client.behind, 0);
	const echo = emptyEcho();
	const t0 = performance.now();
	reading[0].client.send('F');
	const done = Promise.all(reading.map((t) => t.ended(o.timeoutMs ?? 600_000)));
	let finished = false;
	void done.then(() => (finished = true));
	if (o.probeEveryMs) {
		await sleep(o.probeEveryMs);
		for (let i = 0; !finished; i++) {
			const code = LETTERS.charCodeAt(i % LETTERS.length);
			const wait = reading[0].awaitEcho(code, 10_000);
			const s = performance.now();
			reading[0].client.send(LETTERS[i % LETTERS.length]);
			const at = await wait;
			if (at === null) echo.timeouts++;
			else if (!finished || reading[0].endAt === 0 || at <= reading[0].endAt) echo.typer.push(at - s);
			await sleep(o.probeEveryMs);
		}
	}
	const completed = (await done).every(Boolean);
	const cpu = cpuMs(o.cpuPids ?? []) - cpu0;
	if (sampler) clearInterval(sampler);
	if (o.rssPid) rssPeak = Math.max(rssPeak, rssBytes(o.rssPid));
	for (const t of taps) t.counting = false;
	for (const t of stalled) t.client.resume();
	const ms = reading.map((t) => (t.endAt || performance.now()) - t0);
	const most = Math.max(...reading.map((t) => t.bytes));
	const bytes = reading.map((t) => t.bytes);
	const slowest = Math.max(...ms);
	const least = Math.min(...bytes);
	// Letters typed during the flood come back in the count too: one byte each.
	const extra = FLOOD_EXTRA + echo.typer.length + echo.timeouts;
	return {
		ms,
		bytes,
		// Letters typed only add bytes: counting without them, a loss can hide behind at most one byte each.
		missingBytes: Math.max(0, FLOOD_BYTES + FLOOD_EXTRA - least),
		fewestMissingBytes: Math.max(0, FLOOD_BYTES + FLOOD_EXTRA - most),
		behind: reading.reduce((n, t) => n + t.client.behind, 0) - behind0,
		perViewerMiBs: Math.max(0, least - extra) / 2 ** 20 / (slowest / 1000),
		echo,
		rssBefore,
		rssPeak,
		cpuMs: cpu,
		completed
	};
}

/** Nearest-rank percentile. */
export function pct(xs: number[], p: number): number {
	if (!xs.length) return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (xs: number[]) => pct(xs, 50);
