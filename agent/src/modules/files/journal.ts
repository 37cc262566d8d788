// The systemd journal through `journalctl -o json`: entries become lines "IDENT[PID]: MESSAGE" with their time
// and cursor. Positions are cursors and times (the journal has no line numbers); follow is "after this cursor".
import { spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';
import type {
	LogCursor,
	LogFilter,
	LogFilterResult,
	LogFollowResult,
	LogLine,
	LogPosition,
	LogReadResult
} from '../../../../src/lib/protocol/logs';
import { LOG_MAX_LINE_CHARS } from '../../../../src/lib/protocol/logs';
import { FilterRun, MAX_ANSWER_CHARS } from './filter';

const RUN_TIMEOUT_MS = 15_000;
const FILTER_BUDGET_MS = 1_000;

/** True when journalctl runs here. */
export function journalAvailable(bin = 'journalctl'): boolean {
	try {
		return spawnSync(bin, ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
	} catch {
		return false;
	}
}

function text(v: unknown): string {
	if (typeof v === 'string') return v;
	if (Array.isArray(v)) return Buffer.from(v as number[]).toString('utf8');
	return '';
}

/** One `journalctl -o json` line as a log line; null when it is not an entry. */
export function journalLine(json: string): LogLine | null {
	let e: Record<string, unknown>;
	try {
		e = JSON.parse(json);
	} catch {
		return null;
	}
	const cursor = typeof e.__CURSOR === 'string' ? e.__CURSOR : null;
	if (!cursor) return null;
	const us = Number(e.__REALTIME_TIMESTAMP);
	const ident = text(e.SYSLOG_IDENTIFIER) || text(e._COMM);
	const pid = text(e.SYSLOG_PID) || text(e._PID);
	let t = `${ident}${pid ? `[${pid}]` : ''}${ident || pid ? ': ' : ''}${text(e.MESSAGE)}`;
	const truncated = t.length > LOG_MAX_LINE_CHARS;
	if (truncated) t = t.slice(0, LOG_MAX_LINE_CHARS);
	return {
		n: null,
		offset: null,
		text: t,
		...(truncated ? { truncated: true } : {}),
		...(Number.isFinite(us) ? { time: new Date(us / 1000).toISOString() } : {}),
		cursor
	};
}

export class JournalSession {
	constructor(private readonly bin = 'journalctl') {}

	close(): void {}

	/** Runs journalctl, handing each entry to `onEntry` until it returns false; resolves when it has stopped. */
	private run(args: string[], onEntry: (l: LogLine) => boolean | void): Promise<{ stopped: boolean }> {
		return new Promise((resolve, reject) => {
			const p = spawn(this.bin, ['-o', 'json', '--no-pager', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
			let stopped = false;
			let err = '';
			const timer = setTimeout(() => p.kill(), RUN_TIMEOUT_MS);
			p.stderr.on('data', (d) => (err = (err + d).slice(-500)));
			const rl = readline.createInterface({ input: p.stdout });
			rl.on('line', (json) => {
				if (stopped) return;
				const l = journalLine(json);
				if (l && onEntry(l) === false) {
					stopped = true;
					rl.close();
					p.kill();
				}
			});
			p.on('error', (e) => {
				clearTimeout(timer);
				reject(new Error(`journalctl could not run: ${e.message}`));
			});
			p.on('close', (code) => {
				clearTimeout(timer);
				if (!stopped && code !== 0 && code !== null && err.trim())
					reject(new Error(`journalctl failed: ${err.trim().split('\n').pop()}`));
				else resolve({ stopped });
			});
		});
	}

	private async collect(args: string[], max: number) {
		const lines: LogLine[] = [];
		let chars = 0;
		await this.run(args, (l) => {
			lines.push(l);
			chars += l.text.length + 120;
			return lines.length < max && chars < MAX_ANSWER_CHARS;
		});
		return lines;
	}

	/** `before` does not apply: the journal is read forwards from a time or cursor. */
	async read(from: LogPosition, count: number, _before = 0): Promise<LogReadResult> {
		let lines: LogLine[];
		if ('end' in from) lines = await this.collect(['-n', String(count)], count);
		else if ('time' in from)
			lines = await this.collect(['--since', `@${Math.floor(Date.parse(from.time) / 1000)}`], count);
		else if ('cursor' in from) lines = await this.collect(['--cursor', from.cursor], count);
		else
			throw new Error(
				'The journal has no line numbers or offsets; read it from the end, a time or a cursor.'
			);
		const last = lines[lines.length - 1];
		return {
			lines,
			index: null,
			atEnd: 'end' in from || lines.length < count,
			next: last?.cursor ? { cursor: last.cursor } : { offset: 0, line: null }
		};
	}

	private static after(c: LogCursor | null): string[] {
		return c && 'cursor' in c ? ['--after-cursor', c.cursor] : [];
	}

	async follow(after: LogCursor, max: number, waitMs: number): Promise<LogFollowResult> {
		const deadline = Date.now() + waitMs;
		let lines = await this.collect(JournalSession.after(after), max);
		while (!lines.length && Date.now() < deadline) {
			await new Promise((r) => setTimeout(r, Math.min(500, Math.max(1, deadline - Date.now()))));
			lines = await this.collect(JournalSession.after(after), max);
		}
		const last = lines[lines.length - 1];
		return {
			lines,
			next: last?.cursor ? { cursor: last.cursor } : after,
			rotated: false,
			more: lines.length >= max,
			index: null
		};
	}

	async filter(f: LogFilter, from: LogCursor | null, limit: number): Promise<LogFilterResult> {
		const run = new FilterRun(f, limit);
		const deadline = Date.now() + FILTER_BUDGET_MS;
		let last: string | null = null;
		let k = 0;
		const { stopped } = await this.run(JournalSession.after(from), (l) => {
			last = l.cursor ?? last;
			const go = run.push(l);
			return go && !((++k & 255) === 0 && Date.now() > deadline && !run.pendingContext);
		});
		const next: LogCursor | null = last ? { cursor: last } : from;
		return { rows: run.rows, hits: run.hits, scannedTo: 0, done: !stopped, next, index: null };
	}
}
