import { desktopSocket, type DesktopSocket } from '$lib/realtime';
import {
	CONSOLE_MAX_INPUT_BYTES,
	type ConsoleMode,
	type ConsoleRoomState,
	type ConsoleServerEvents
} from '$protocol/consoles';
import { utf8Bytes } from './input';
import { toBytes as bytes, windowClosed, windowOpened } from './room-windows';

type OutputEvent = Parameters<ConsoleServerEvents['console:output']>[0];
type Level = 'info' | 'warning' | 'error';

/** Where the room's bytes go: the xterm of the window. */
export interface TerminalSink {
	/** Clear the screen and the buffer (before a scrollback is written again). */
	reset(): void;
	write(data: Uint8Array): void;
}

export type Phase = 'joining' | 'joined' | 'resyncing' | 'disconnected' | 'failed';

const ACK_MS = 10_000;
const PING_EVERY_MS = 5_000;
const NOTICE_MS = 8_000;
const RESIZE_AGAIN_MS = 2_000;

/**
 * One console as one window sees it: the join (scrollback, then live output after its sequence number),
 * resync when the server says we fell behind or the connection comes back, the room's state, latency,
 * notices and control requests. The server checks every event; this only mirrors what it allows.
 */
export class ConsoleRoom {
	readonly consoleId: number;
	phase = $state<Phase>('joining');
	error = $state('');
	room = $state<ConsoleRoomState | null>(null);
	mode = $state<ConsoleMode>('view');
	canBreak = $state(false);
	connected = $state(false);
	/** Round trip through the server, ms (null until the first ping returns). */
	latency = $state<number | null>(null);
	notice = $state<{ level: Level; message: string } | null>(null);
	/** One-writer consoles: people asking this writer for the keyboard. */
	requests = $state<{ userId: number; username: string }[]>([]);

	#socket: DesktopSocket;
	#sink: TerminalSink;
	#me: number;
	#seq = 0;
	/** Output that arrived while a join was in flight, applied after its scrollback. */
	#pending: OutputEvent[] | null = null;
	#attempt = 0;
	#ping: ReturnType<typeof setInterval> | undefined;
	#noticeTimer: ReturnType<typeof setTimeout> | undefined;
	#size: { cols: number; rows: number } | null = null;
	#sentSize = '';
	#sizeAt = 0;
	#closed = false;

	constructor(consoleId: number, me: number, sink: TerminalSink, socket: DesktopSocket = desktopSocket()) {
		this.consoleId = consoleId;
		this.#me = me;
		this.#sink = sink;
		this.#socket = socket;
	}

	/** May this window type now? Write mode and, on one-writer consoles, holding the keyboard. */
	get canType(): boolean {
		if (this.phase !== 'joined' || this.mode !== 'write' || !this.room) return false;
		return !this.room.oneWriter || this.room.writer?.userId === this.#me;
	}

	get isWriter(): boolean {
		return this.room?.writer?.userId === this.#me;
	}

	start(): void {
		const s = this.#socket;
		s.on('console:output', this.#onOutput);
		s.on('console:room', this.#onRoom);
		s.on('console:behind', this.#onBehind);
		s.on('console:notice', this.#onNotice);
		s.on('console:control-request', this.#onRequest);
		s.on('connect', this.#onConnect);
		s.on('disconnect', this.#onDisconnect);
		windowOpened(s, this.consoleId);
		this.connected = s.connected;
		if (s.connected) void this.#join();
		else this.phase = 'disconnected';
		this.#ping = setInterval(() => void this.#measure(), PING_EVERY_MS);
	}

	stop(): void {
		if (this.#closed) return;
		this.#closed = true;
		const s = this.#socket;
		s.off('console:output', this.#onOutput);
		s.off('console:room', this.#onRoom);
		s.off('console:behind', this.#onBehind);
		s.off('console:notice', this.#onNotice);
		s.off('console:control-request', this.#onRequest);
		s.off('connect', this.#onConnect);
		s.off('disconnect', this.#onDisconnect);
		clearInterval(this.#ping);
		clearTimeout(this.#noticeTimer);
		if (windowClosed(s, this.consoleId) && s.connected)
			s.emit('console:leave', { consoleId: this.consoleId });
	}

	/** Join (again): the scrollback replaces what the terminal shows, then live output follows. */
	async #join(): Promise<void> {
		const attempt = ++this.#attempt;
		if (this.phase !== 'resyncing') this.phase = 'joining';
		this.#pending = [];
		try {
			const ack = await this.#socket
				.timeout(ACK_MS)
				.emitWithAck('console:join', { consoleId: this.consoleId });
			if (attempt !== this.#attempt || this.#closed) return;
			if (!ack.ok) {
				this.phase = 'failed';
				this.error = ack.error;
				this.#pending = null;
				return;
			}
			this.mode = ack.mode;
			this.canBreak = ack.canBreak;
			this.room = ack.room;
			this.#seq = ack.seq;
			this.#sink.reset();
			this.#sink.write(bytes(ack.scrollback));
			const pending = this.#pending ?? [];
			this.#pending = null;
			this.phase = 'joined';
			this.error = '';
			for (const m of pending) this.#apply(m);
			this.#sentSize = '';
			this.#sendSize();
			void this.#measure();
		} catch {
			if (attempt !== this.#attempt || this.#closed) return;
			this.#pending = null;
			// No answer in time: the server is busy or the connection is half-dead. Try once more later.
			this.phase = this.#socket.connected ? 'failed' : 'disconnected';
			this.error = 'The server did not answer; trying again…';
			setTimeout(() => {
				if (!this.#closed && attempt === this.#attempt && this.#socket.connected) void this.#join();
			}, 3000);
		}
	}

	/** Join again after an error. */
	retry(): void {
		if (this.#socket.connected) void this.#join();
		else this.#socket.connect();
	}

	#apply(m: OutputEvent): void {
		// Output at or before what we have already written (the scrollback, or a duplicate frame) is skipped.
		if (m.seq <= this.#seq) return;
		this.#seq = m.seq;
		this.#sink.write(bytes(m.data));
	}

	#onOutput = (m: OutputEvent) => {
		if (m.consoleId !== this.consoleId) return;
		if (this.#pending) this.#pending.push(m);
		else if (this.phase === 'joined') this.#apply(m);
	};

	#onRoom = (r: ConsoleRoomState) => {
		if (r.consoleId !== this.consoleId) return;
		const wasWriter = this.isWriter;
		this.room = r;
		// Requests to a writer who no longer holds the keyboard are moot.
		if (!this.isWriter) this.requests = [];
		if (!wasWriter && this.isWriter) {
			this.#sentSize = '';
			this.#sendSize();
		}
	};

	#onBehind = (m: { consoleId: number; dropped: number }) => {
		if (m.consoleId !== this.consoleId) return;
		this.phase = 'resyncing';
		this.say('warning', 'You fell behind; resyncing…');
		void this.#join();
	};

	#onNotice = (m: { consoleId: number; level: Level; message: string }) => {
		if (m.consoleId === this.consoleId) this.say(m.level, m.message);
	};

	#onRequest = (m: { consoleId: number; userId: number; username: string }) => {
		if (m.consoleId !== this.consoleId) return;
		if (!this.requests.some((r) => r.userId === m.userId))
			this.requests = [...this.requests, { userId: m.userId, username: m.username }];
	};

	#onConnect = () => {
		this.connected = true;
		// The server forgot this socket's rooms when it went away: join again and resync the screen.
		this.phase = 'resyncing';
		void this.#join();
	};

	#onDisconnect = () => {
		this.connected = false;
		this.phase = 'disconnected';
		this.latency = null;
		this.#attempt++;
	};

	/** Show a one-line message over the terminal for a few seconds. */
	say(level: Level, message: string): void {
		this.notice = { level, message };
		clearTimeout(this.#noticeTimer);
		this.#noticeTimer = setTimeout(() => (this.notice = null), NOTICE_MS);
	}

	dismissNotice(): void {
		clearTimeout(this.#noticeTimer);
		this.notice = null;
	}

	async #measure(): Promise<void> {
		if (!this.#socket.connected || this.phase !== 'joined') return;
		const sent = performance.now();
		try {
			await this.#socket.timeout(ACK_MS).emitWithAck('console:ping', Date.now());
			this.latency = Math.round((performance.now() - sent) * 10) / 10;
		} catch {
			this.latency = null;
		}
	}

	/** Keystrokes or a confirmed paste. Returns false (with a notice) when they were not sent. */
	send(data: string): boolean {
		if (!data) return true;
		if (this.phase !== 'joined') {
			this.say('warning', 'Not connected to the console: your keys were not sent.');
			return false;
		}
		if (!this.canType) {
			this.blocked();
			return false;
		}
		if (utf8Bytes(data) > CONSOLE_MAX_INPUT_BYTES) {
			this.say('error', 'That input is too large to send at once.');
			return false;
		}
		this.#socket.emit('console:input', { consoleId: this.consoleId, data });
		// The pipe takes its size from whoever typed last: typing after a while says ours again.
		if (performance.now() - this.#sizeAt > RESIZE_AGAIN_MS) {
			this.#sentSize = '';
			this.#sendSize();
		}
		return true;
	}

	/** Say why keys typed here are not sent. */
	blocked(): void {
		if (this.phase !== 'joined') return;
		this.say(
			'info',
			this.mode === 'view'
				? 'Read-only: you may view this console but not type.'
				: 'Someone else holds the keyboard: request control to type.'
		);
	}

	/** The terminal's size changed: the controlling writer sets the pipe's size. */
	resize(cols: number, rows: number): void {
		this.#size = { cols, rows };
		this.#sendSize();
	}

	#sendSize(): void {
		if (!this.#size || !this.canType || !this.#socket.connected) return;
		const key = `${this.#size.cols}x${this.#size.rows}`;
		if (key === this.#sentSize) return;
		this.#sentSize = key;
		this.#sizeAt = performance.now();
		this.#socket.emit('console:resize', { consoleId: this.consoleId, ...this.#size });
	}

	async #ask<T extends { ok: true } | { ok: false; error: string }>(
		run: () => Promise<T>
	): Promise<string | null> {
		try {
			const a = await run();
			return a.ok ? null : a.error;
		} catch {
			return 'The server did not answer; try again.';
		}
	}

	sendBreak(): Promise<string | null> {
		return this.#ask(() =>
			this.#socket.timeout(ACK_MS).emitWithAck('console:break', { consoleId: this.consoleId })
		);
	}

	/** One-writer consoles: request, release, hand over (to userId) or take the keyboard. */
	async control(
		action: 'request' | 'release' | 'handover' | 'take',
		userId?: number
	): Promise<string | null> {
		const holder = this.room?.writer;
		const error = await this.#ask(() =>
			this.#socket
				.timeout(ACK_MS)
				.emitWithAck('console:control', { consoleId: this.consoleId, action, userId })
		);
		if (!error && action === 'handover') this.requests = this.requests.filter((r) => r.userId !== userId);
		if (!error && action === 'request' && holder && holder.userId !== this.#me)
			this.say('info', `Asked ${holder.username} for the keyboard.`);
		return error;
	}

	/** Keep the keyboard: forget a request. */
	decline(userId: number): void {
		this.requests = this.requests.filter((r) => r.userId !== userId);
	}
}
