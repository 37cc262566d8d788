// Option parsing and logging for `simulate`.
import net from 'node:net';
import type { Level, Logger } from '../log';

/** A loopback network to enrol from: the n-th agent gets the network address + n. */
export function sourceNet(cidr: string, count: number): (index: number) => string {
	const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
	const octets = m ? m.slice(1, 5).map(Number) : [];
	const bits = m ? Number(m[5]) : -1;
	if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30 || !net.isIPv4(octets.join('.')))
		throw new Error(`--source-net "${cidr}" is not an IPv4 network like 127.1.0.0/16.`);
	if (octets[0] !== 127)
		throw new Error(
			'--source-net must be a loopback network (127.x.x.x): other addresses are not ours to use.'
		);
	const size = 2 ** (32 - bits);
	if (count + 2 > size)
		throw new Error(`--source-net ${cidr} has ${size - 2} addresses, fewer than --count ${count}.`);
	const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
	const start = base - (base % size);
	return (i) => {
		const a = start + i;
		return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
	};
}

export function positiveInt(name: string, v: string | undefined, dflt: number, max: number): number {
	if (v === undefined) return dflt;
	const n = Number(v);
	if (!Number.isInteger(n) || n < 0 || n > max)
		throw new UsageError(`${name} must be a whole number from 0 to ${max}.`);
	return n;
}

export class UsageError extends Error {}

/**
 * Per-agent loggers that do not flood the terminal: everything with debug on; otherwise errors and warnings
 * up to 10 lines per status period, the rest counted.
 */
export class SimLog {
	warnings = 0;
	errors = 0;
	private budget = 10;
	suppressed = 0;
	constructor(
		private readonly base: Logger,
		private readonly debug: boolean
	) {}
	resetBudget(): void {
		this.budget = 10;
	}
	for(host: string): Logger {
		return (level: Level, message: string) => {
			if (level === 'warning') this.warnings++;
			if (level === 'error') this.errors++;
			if (this.debug) return this.base(level, `${host}: ${message}`);
			if (level !== 'warning' && level !== 'error') return;
			if (this.budget-- > 0) this.base(level, `${host}: ${message}`);
			else this.suppressed++;
		};
	}
}
