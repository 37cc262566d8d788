// `fleetdesk-agent run`: one outbound Socket.IO link over mutual TLS to the gateway. Reconnects with
// exponential backoff and full jitter; sends buffered reports once, in order, after each hello.
import net from 'node:net';
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import {
	AGENT_NAMESPACE,
	AGENT_PROTOCOL_VERSION,
	type AgentOs,
	type AgentSettings,
	type AgentToServerEvents,
	type HelloAck,
	type LinkRefusal,
	type ReportAck,
	type ServerToAgentEvents
} from '../../src/lib/protocol/agent';
import type { AgentConfig } from './config';
import type { Identity } from './store';
import type { Logger } from './log';
import type { Outbox } from './outbox';
import { AGENT_VERSION } from './version';

type LinkSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

/** "Full jitter": a random delay in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
	return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/** The link stops for good: this identity will never be accepted again. */
export class LinkFatal extends Error {}

const ACK_TIMEOUT_MS = 30_000;

/** This host's name as the hello carries it (the protocol's hostname rules). */
export function linkHostname(): string {
	return (
		os
			.hostname()
			.replace(/[^A-Za-z0-9._-]/g, '-')
			.replace(/^[^A-Za-z0-9]+/, '') || 'host'
	);
}

export interface LinkOptions {
	/** What the hello says about the host; default: this machine (virtual agents say their own). */
	hostname?: string;
	os?: AgentOs;
}

type Listener = (...args: never[]) => void;

export class Link {
	private socket: LinkSocket | null = null;
	private attempt = 0;
	private ready = false;
	private sending = false;
	private stopped = false;
	private timer: NodeJS.Timeout | null = null;
	private heartbeat: NodeJS.Timeout | null = null;
	private readonly startedAt = Date.now();
	private reportedDropped = 0;
	private readonly listeners: [keyof ServerToAgentEvents, Listener][] = [];
	private readonly readyHandlers: ((s: AgentSettings) => void)[] = [];
	private readonly downHandlers: (() => void)[] = [];
	/** The server's settings from the last accepted hello. */
	settings: AgentSettings | null = null;
	/** The last accepted hello asked for a new certificate (an administrator did). */
	renewAsked = false;
	/** Resolves when the link stops: normally (stop()) or fatally (revoked). */
	readonly done: Promise<void>;
	private finish!: (e?: Error) => void;

	constructor(
		private readonly id: Identity,
		private readonly cfg: AgentConfig,
		private readonly outbox: Outbox,
		private readonly log: Logger,
		private readonly opts: LinkOptions = {}
	) {
		this.done = new Promise((resolve, reject) => {
			this.finish = (e) => (e ? reject(e) : resolve());
		});
		outbox.onPush = () => void this.flush();
	}

	/** Handles a server → agent event on every socket this link opens. */
	on<E extends keyof ServerToAgentEvents>(event: E, fn: ServerToAgentEvents[E]): void {
		this.listeners.push([event, fn as unknown as Listener]);
	}

	/** Called each time the server accepts a hello. */
	onReady(fn: (s: AgentSettings) => void): void {
		this.readyHandlers.push(fn);
	}

	/** Called each time a ready link goes down (disconnect, refused, stopped). */
	onDown(fn: () => void): void {
		this.downHandlers.push(fn);
	}

	/**
	 * Sends a live event (console output, file data) now, outside the report buffer. False when the link is
	 * not ready: the caller keeps what it must not lose and sends it again after the next ready.
	 */
	emit<E extends keyof AgentToServerEvents>(event: E, ...args: Parameters<AgentToServerEvents[E]>): boolean {
		if (!this.ready || !this.socket) return false;
		(this.socket.emit as (e: string, ...a: unknown[]) => void)(event, ...args);
		return true;
	}

	/** Sends a request on the ready link and waits for its acknowledgement; rejects when not ready or on timeout. */
	async request<E extends 'cert:renew'>(
		event: E,
		arg: Parameters<AgentToServerEvents[E]>[0],
		timeoutMs = ACK_TIMEOUT_MS
	): Promise<Parameters<Parameters<AgentToServerEvents[E]>[1]>[0]> {
		const s = this.socket;
		if (!this.ready || !s) throw new Error('the link is not ready');
		return (
			s.timeout(timeoutMs) as unknown as { emitWithAck(e: string, a: unknown): Promise<never> }
		).emitWithAck(event, arg);
	}

	/** Drops the current connection and connects again at once (a new certificate takes effect this way). */
	reconnectNow(): void {
		if (this.stopped) return;
		const old = this.socket;
		this.socket = null;
		this.setDown();
		old?.removeAllListeners();
		old?.disconnect();
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.attempt = 0;
		this.connect();
	}

	/** Bytes the socket has queued but not yet written (backpressure for streaming modules). */
	get pendingBytes(): number {
		const engine = this.socket?.io.engine as unknown as
			{ transport?: { ws?: { bufferedAmount?: number } }; writeBuffer?: unknown[] } | undefined;
		return engine?.transport?.ws?.bufferedAmount ?? 0;
	}

	private setDown(): void {
		if (!this.ready) return;
		this.ready = false;
		for (const fn of this.downHandlers) {
			try {
				fn();
			} catch (e) {
				this.log('error', `a module failed when the link went down: ${(e as Error).message}`);
			}
		}
	}

	start(): void {
		this.connect();
		this.heartbeat = setInterval(() => {
			if (!this.ready || !this.socket) return;
			this.socket.emit('heartbeat', {
				uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
				buffered: this.outbox.size,
				dropped: this.outbox.dropped
			});
		}, this.cfg.heartbeatSeconds * 1000);
	}

	stop(e?: Error): void {
		if (this.stopped) return;
		this.stopped = true;
		this.setDown();
		if (this.timer) clearTimeout(this.timer);
		if (this.heartbeat) clearInterval(this.heartbeat);
		this.socket?.removeAllListeners();
		this.socket?.disconnect();
		this.socket = null;
		this.finish(e);
	}

	private connect(): void {
		if (this.stopped) return;
		const u = new URL(this.id.server);
		const host = u.hostname.replace(/^\[|\]$/g, '');
		this.log('debug', `connecting to ${u.host}`);
		const s: LinkSocket = io(`${u.origin}${AGENT_NAMESPACE}`, {
			transports: ['websocket'],
			reconnection: false,
			forceNew: true,
			timeout: 15_000,
			ca: this.id.ca,
			cert: this.id.cert,
			key: this.id.key,
			rejectUnauthorized: true,
			...(net.isIP(host) ? {} : { servername: host })
		} as Parameters<typeof io>[1]);
		this.socket = s;
		for (const [event, fn] of this.listeners)
			(s as unknown as { on(e: string, f: Listener): void }).on(event, fn);

		s.on('connect', () => {
			this.log('info', `connected to ${u.host}`);
			s.timeout(ACK_TIMEOUT_MS).emit(
				'hello',
				{
					agentId: this.id.agentId,
					agentVersion: AGENT_VERSION,
					hostname: this.opts.hostname ?? linkHostname(),
					os: this.opts.os ?? { platform: os.platform(), release: os.release(), arch: os.arch() },
					protocol: AGENT_PROTOCOL_VERSION,
					dropped: this.outbox.dropped
				},
				(err: Error | null, ack: HelloAck) => {
					if (s !== this.socket) return;
					if (err || !ack?.ok) {
						this.log(
							'warning',
							`the server did not accept the hello: ${err?.message ?? (ack as { error?: string })?.error}`
						);
						s.disconnect();
						this.retry();
						return;
					}
					this.attempt = 0;
					this.outbox.establish(ack.lastSeq);
					this.ready = true;
					this.log(
						'info',
						`link ready (server has reports up to #${ack.lastSeq}; ${this.outbox.size} buffered)`
					);
					if (this.outbox.dropped > this.reportedDropped) {
						this.outbox.push('event', {
							level: 'warning',
							message: `${this.outbox.dropped - this.reportedDropped} reports were dropped while disconnected (buffer full)`
						});
						this.reportedDropped = this.outbox.dropped;
					}
					this.settings = ack.settings;
					this.renewAsked = ack.renewCertificate === true;
					for (const fn of this.readyHandlers) {
						try {
							fn(ack.settings);
						} catch (e) {
							this.log('error', `a module failed when the link became ready: ${(e as Error).message}`);
						}
					}
					void this.flush();
				}
			);
		});

		s.on('link:closing', (m) => this.log('warning', `the server is closing the link: ${m?.reason}`));

		s.on('connect_error', (err: Error & { data?: LinkRefusal }) => {
			if (s !== this.socket) return;
			const code = err.data?.code;
			if (code === 'revoked' || code === 'unknown-agent') {
				this.log('error', `refused for good: ${err.message}`);
				this.stop(new LinkFatal(err.message));
				return;
			}
			this.log('warning', `cannot connect to ${u.host}: ${err.message}`);
			this.retry();
		});

		s.on('disconnect', (reason) => {
			if (s !== this.socket) return;
			this.setDown();
			this.log('info', `disconnected: ${reason}`);
			this.retry();
		});
	}

	private retry(): void {
		if (this.stopped) return;
		this.setDown();
		const old = this.socket;
		this.socket = null;
		old?.removeAllListeners();
		old?.disconnect();
		if (this.timer) clearTimeout(this.timer);
		const delay = backoffDelay(this.attempt++, this.cfg.reconnect.baseMs, this.cfg.reconnect.capMs);
		this.log('debug', `reconnecting in ${delay} ms`);
		this.timer = setTimeout(() => {
			this.timer = null;
			this.connect();
		}, delay);
	}

	/** Sends buffered reports one at a time, in order; each leaves the buffer only when acknowledged. */
	private async flush(): Promise<void> {
		if (this.sending) return;
		this.sending = true;
		try {
			for (;;) {
				const s = this.socket;
				const p = this.outbox.first();
				if (!this.ready || !s || !p || p.seq === null) return;
				let ack: ReportAck;
				try {
					ack = await s.timeout(ACK_TIMEOUT_MS).emitWithAck('report', {
						agentId: this.id.agentId,
						seq: p.seq,
						kind: p.kind,
						at: p.at,
						body: p.body
					});
				} catch {
					if (s === this.socket && this.ready) {
						this.log('warning', `report #${p.seq} was not acknowledged in time; reconnecting`);
						s.disconnect();
						this.retry();
					}
					return;
				}
				if (ack.ok) {
					this.log('debug', `report #${p.seq} ${ack.duplicate ? 'was a duplicate' : 'delivered'}`);
					this.outbox.shift(p);
				} else if (!ack.retry) {
					this.log('error', `report #${p.seq} (${p.kind}) refused by the server and dropped: ${ack.error}`);
					this.outbox.shift(p);
				} else {
					this.log('warning', `report #${p.seq}: ${ack.error}`);
					await new Promise((r) => setTimeout(r, 5000));
				}
			}
		} finally {
			this.sending = false;
		}
	}

	get isReady(): boolean {
		return this.ready;
	}
}
