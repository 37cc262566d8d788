// The two ways out: a syslog stream (TCP or TLS, one long-lived connection) and HTTPS POSTs of JSON batches.
// A syslog receiver sends nothing back, so a batch counts as delivered only once it was written and the
// connection then stayed up for a moment (a receiver that died takes the connection down within that).
import net from 'node:net';
import tls from 'node:tls';
import https from 'node:https';
import { jsonRecord, syslogFrames, syslogTestFrame, type ForwardRecord } from './format';

export interface ForwarderTarget {
	kind: 'syslog-tcp' | 'syslog-tls' | 'https';
	host: string | null;
	port: number | null;
	url: string | null;
	caPem: string | null;
	serverName: string | null;
	token: string | null;
	/** https: the header that carries the token (null: Authorization). */
	tokenHeader?: string | null;
	/** https: more headers, sent as they are. */
	headers?: { name: string; value: string }[];
	facility: number;
	maxMessageBytes: number;
}

export interface Sender {
	/** Sends the records; resolves when they were handed over (syslog) or accepted (HTTPS). */
	send(records: ForwardRecord[]): Promise<void>;
	/** Connects now (syslog), so an idle forwarder shows whether its endpoint is reachable. */
	open(): Promise<void>;
	/** Why the connection broke since the last send (syslog), or null. */
	failure(): Error | null;
	/** True while everything sent so far may be counted as delivered. */
	healthy(): boolean;
	/** Sends one test message (not a record) and waits until it counts as delivered. */
	probe(name: string, graceMs: number): Promise<void>;
	close(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;

class SyslogSender implements Sender {
	private socket: net.Socket | null = null;
	private broken: Error | null = null;

	constructor(private readonly t: ForwarderTarget) {}

	private async connect(): Promise<net.Socket> {
		if (this.socket && !this.broken) return this.socket;
		this.close();
		this.broken = null;
		const host = this.t.host!;
		const port = this.t.port!;
		const socket = await new Promise<net.Socket>((resolve, reject) => {
			const s =
				this.t.kind === 'syslog-tls'
					? tls.connect({
							host,
							port,
							servername: this.t.serverName ?? (net.isIP(host) ? undefined : host),
							ca: this.t.caPem ?? undefined,
							rejectUnauthorized: true
						})
					: net.connect({ host, port });
			const timer = setTimeout(
				() => s.destroy(new Error(`no connection to ${host}:${port} within 10 s`)),
				CONNECT_TIMEOUT_MS
			);
			s.once(this.t.kind === 'syslog-tls' ? 'secureConnect' : 'connect', () => {
				clearTimeout(timer);
				resolve(s);
			});
			s.once('error', (e) => {
				clearTimeout(timer);
				reject(e);
			});
		});
		socket.setKeepAlive(true, 10_000);
		socket.setNoDelay(true);
		const fail = (e: Error) => (this.broken ??= e);
		socket.on('error', fail);
		socket.on('close', () => fail(new Error(`${host}:${port} closed the connection`)));
		// A syslog receiver has nothing to say; reading keeps the close noticed.
		socket.on('data', () => {});
		socket.on('end', () => fail(new Error(`${host}:${port} ended the connection`)));
		this.socket = socket;
		return socket;
	}

	async open(): Promise<void> {
		await this.connect();
	}

	failure(): Error | null {
		return this.broken;
	}

	private async write(data: Buffer): Promise<void> {
		// A connection that broke since the last write loses what that write sent: the caller must resend.
		if (this.broken) throw this.broken;
		const socket = await this.connect();
		await new Promise<void>((resolve, reject) => {
			socket.write(data, (e) => (e ? reject(e) : resolve()));
		});
		if (this.broken) throw this.broken;
	}

	async send(records: ForwardRecord[]): Promise<void> {
		await this.write(Buffer.concat(records.flatMap((r) => syslogFrames(r, this.t))));
	}

	async probe(name: string, graceMs: number): Promise<void> {
		await this.write(syslogTestFrame(name, this.t));
		await new Promise((r) => setTimeout(r, graceMs));
		if (this.broken) throw this.broken;
	}

	healthy(): boolean {
		return !!this.socket && !this.broken;
	}

	close(): void {
		this.socket?.destroy();
		this.socket = null;
	}
}

/** The Authorization header for a forwarder's token: a bare token is a bearer token, "Scheme …" goes as it is. */
export function authorization(token: string): string {
	return token.includes(' ') ? token : `Bearer ${token}`;
}

/** The request headers of an HTTPS forwarder: its own headers, then the token in its header. */
export function httpsHeaders(
	t: Pick<ForwarderTarget, 'token' | 'tokenHeader' | 'headers'>
): Record<string, string> {
	const h: Record<string, string> = {};
	for (const { name, value } of t.headers ?? []) h[name.toLowerCase()] = value;
	if (t.token) {
		const name = (t.tokenHeader ?? 'authorization').toLowerCase();
		h[name] = name === 'authorization' ? authorization(t.token) : t.token;
	}
	return h;
}

class HttpsSender implements Sender {
	private ok = true;
	private agent: https.Agent;

	constructor(private readonly t: ForwarderTarget) {
		this.agent = new https.Agent({ keepAlive: true, ca: t.caPem ?? undefined, rejectUnauthorized: true });
	}

	async open(): Promise<void> {}

	failure(): Error | null {
		return null;
	}

	async probe(name: string): Promise<void> {
		await this.post({ source: 'fleetdesk', test: true, forwarder: name, records: [] });
	}

	async send(records: ForwardRecord[]): Promise<void> {
		await this.post({ source: 'fleetdesk', records: records.map(jsonRecord) });
	}

	private async post(payload: unknown): Promise<void> {
		const body = Buffer.from(JSON.stringify(payload));
		this.ok = false;
		await new Promise<void>((resolve, reject) => {
			const req = https.request(
				this.t.url!,
				{
					method: 'POST',
					agent: this.agent,
					timeout: 30_000,
					headers: {
						...httpsHeaders(this.t),
						'content-type': 'application/json',
						'content-length': body.length
					}
				},
				(res) => {
					res.resume();
					res.on('end', () =>
						res.statusCode && res.statusCode >= 200 && res.statusCode < 300
							? resolve()
							: reject(new Error(`${this.t.url} answered ${res.statusCode}`))
					);
				}
			);
			req.on('timeout', () => req.destroy(new Error(`${this.t.url} did not answer within 30 s`)));
			req.on('error', reject);
			req.end(body);
		});
		this.ok = true;
	}

	healthy(): boolean {
		return this.ok;
	}

	close(): void {
		this.agent.destroy();
	}
}

export function makeSender(t: ForwarderTarget): Sender {
	return t.kind === 'https' ? new HttpsSender(t) : new SyslogSender(t);
}
