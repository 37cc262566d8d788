import { io } from 'socket.io-client';
import type { DesktopSocket } from '$lib/realtime';
import type { ConsoleMode, ConsoleRoomState, ConsoleServerEvents } from '$protocol/consoles';
import { gangSkip, type GangInputAck, type GangOpenAck, type GangSkip } from '$protocol/gang';
import { LinePrefixer, TailLines } from './lines';

type OutputEvent = Parameters<ConsoleServerEvents['console:output']>[0];

export interface GangTile {
	consoleId: number;
	name: string;
	deviceName: string;
	mode: ConsoleMode | null;
	room: ConsoleRoomState | null;
	/** Why typed input skips it now (null: it goes there). */
	skip: GangSkip | null;
	/** The tile's latest lines. */
	text: string;
	/** The user's choice: send gang input here (when allowed). */
	included: boolean;
}

export type GangPhase = 'connecting' | 'joining' | 'open' | 'disconnected' | 'failed';

const ACK_MS = 60_000;
const MERGED_BACKLOG = 3000;
const IDLE_FLUSH_MS = 500;

function bytes(data: unknown): Uint8Array {
	if (data instanceof Uint8Array) return data;
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return new Uint8Array(0);
}

/**
 * One gang window: its own /desktop connection (so leaving the gang never takes a console away from another
 * window of this tab), joined to every chosen console with a small scrollback. Output feeds each tile's latest
 * lines and the merged stream; input goes to every console the server lets this user type into now.
 */
export class GangSession {
	tiles = $state<GangTile[]>([]);
	phase = $state<GangPhase>('connecting');
	error = $state('');
	/** What the server did with the last input: how many consoles got it and which were skipped, why. */
	lastInput = $state<Extract<GangInputAck, { ok: true }> | null>(null);

	#socket: DesktopSocket;
	#ids: number[];
	#me: number;
	// Not reactive on purpose: the tiles' text is copied out at most once a frame (#render).
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#seq = new Map<number, number>();
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#tails = new Map<number, TailLines>();
	#prefixer = new LinePrefixer(IDLE_FLUSH_MS * 3);
	#backlog: string[] = [];
	#sink: ((text: string) => void) | null = null;
	/** Output that arrived while a join was in flight, applied after its scrollback. */
	#pending: OutputEvent[] | null = null;
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#dirty = new Set<number>();
	#frame = 0;
	#idle: ReturnType<typeof setInterval> | undefined;

	constructor(consoleIds: number[], me: number, socket?: DesktopSocket) {
		this.#ids = consoleIds;
		this.#me = me;
		this.#socket =
			socket ??
			(io('/desktop', {
				withCredentials: true,
				transports: ['websocket', 'polling'],
				forceNew: true
			}) as DesktopSocket);
	}

	get writable(): GangTile[] {
		return this.tiles.filter((t) => !t.skip && t.included);
	}

	start(): void {
		const s = this.#socket;
		s.on('connect', () => void this.#open(this.#ids));
		s.on('disconnect', () => (this.phase = 'disconnected'));
		s.on('connect_error', (e) => {
			this.phase = 'failed';
			this.error = e.message;
		});
		s.on('console:output', this.#onOutput);
		s.on('console:room', (r) => {
			const t = this.tiles.find((x) => x.consoleId === r.consoleId);
			if (!t) return;
			t.room = r;
			t.skip = gangSkip(t.mode, r, this.#me);
		});
		s.on('console:behind', ({ consoleId }) => void this.#open([consoleId]));
		this.#idle = setInterval(() => this.#emitMerged(this.#prefixer.flushIdle()), IDLE_FLUSH_MS);
		if (s.connected) void this.#open(this.#ids);
	}

	stop(): void {
		clearInterval(this.#idle);
		cancelAnimationFrame(this.#frame);
		this.#socket.removeAllListeners();
		this.#socket.close();
	}

	/** The merged terminal: gets what was merged so far, then each new line. Returns the detach function. */
	attachMerged(write: (text: string) => void): () => void {
		this.#sink = write;
		if (this.#backlog.length) write(this.#backlog.join(''));
		return () => {
			if (this.#sink === write) this.#sink = null;
		};
	}

	include(consoleId: number, on: boolean): void {
		const t = this.tiles.find((x) => x.consoleId === consoleId);
		if (t) t.included = on;
	}

	/** Sends keystrokes or a line to the gang. */
	async input(data: string): Promise<void> {
		if (!data || this.phase !== 'open') return;
		const excluded = this.tiles.some((t) => !t.included);
		const m = excluded
			? { data, consoleIds: this.tiles.filter((t) => t.included).map((t) => t.consoleId) }
			: { data };
		try {
			const ack = (await this.#socket.timeout(ACK_MS).emitWithAck('gang:input', m)) as GangInputAck;
			if (ack.ok) {
				this.lastInput = ack;
				this.error = '';
			} else this.error = ack.error;
		} catch {
			this.error = 'The server did not confirm the input; check the consoles.';
		}
	}

	/** Asks for the keyboard on every one-writer console of the gang that nobody holds (or whose holder left). */
	requestControl(): void {
		for (const t of this.tiles)
			if (t.mode === 'write' && t.room?.oneWriter && t.room.writer?.userId !== this.#me)
				this.#socket.emit('console:control', { consoleId: t.consoleId, action: 'request' }, () => {});
	}

	async #open(ids: number[]): Promise<void> {
		if (!ids.length) return;
		const first = ids === this.#ids;
		if (first) this.phase = 'joining';
		this.#pending = [];
		let ack: GangOpenAck;
		try {
			ack = (await this.#socket.timeout(ACK_MS).emitWithAck('gang:open', { consoleIds: ids })) as GangOpenAck;
		} catch {
			ack = {
				ok: false,
				error: 'The server did not answer in time; close the window and open the gang again.'
			};
		}
		const queued = this.#pending ?? [];
		this.#pending = null;
		if (!ack.ok) {
			this.phase = 'failed';
			this.error = ack.error;
			return;
		}
		for (const m of ack.members) {
			const old = this.tiles.find((t) => t.consoleId === m.consoleId);
			const tile: GangTile = {
				consoleId: m.consoleId,
				name: m.name,
				deviceName: m.deviceName,
				mode: m.mode,
				room: m.room,
				skip: m.skip,
				text: '',
				included: old?.included ?? true
			};
			const tail = this.#tails.get(m.consoleId) ?? new TailLines();
			this.#tails.set(m.consoleId, tail);
			tail.clear();
			this.#prefixer.forget(m.consoleId);
			this.#prefixer.label(
				m.consoleId,
				m.deviceName && m.name ? this.#labelOf(m.deviceName, m.name, ack.members) : `#${m.consoleId}`
			);
			this.#seq.set(m.consoleId, m.seq);
			this.#write(m.consoleId, bytes(m.scrollback));
			tile.text = tail.text();
			if (old) Object.assign(old, tile);
			else this.tiles.push(tile);
		}
		for (const o of queued) this.#onOutput(o);
		this.phase = 'open';
	}

	/** The device name, or device:console when the gang has several consoles of that device. */
	#labelOf(device: string, name: string, all: { deviceName: string }[]): string {
		return all.filter((m) => m.deviceName === device).length > 1 ? `${device}:${name}` : device;
	}

	#onOutput = (m: OutputEvent) => {
		if (this.#pending) {
			this.#pending.push(m);
			return;
		}
		const last = this.#seq.get(m.consoleId);
		if (last === undefined || m.seq <= last) return;
		this.#seq.set(m.consoleId, m.seq);
		this.#write(m.consoleId, bytes(m.data));
	};

	#write(consoleId: number, data: Uint8Array): void {
		if (!data.length) return;
		this.#tails.get(consoleId)?.push(data);
		this.#emitMerged(this.#prefixer.push(consoleId, data));
		this.#dirty.add(consoleId);
		this.#frame ||= requestAnimationFrame(() => this.#render());
	}

	#emitMerged(text: string): void {
		if (!text) return;
		this.#backlog.push(text);
		if (this.#backlog.length > MERGED_BACKLOG) this.#backlog.splice(0, this.#backlog.length - MERGED_BACKLOG);
		this.#sink?.(text);
	}

	/** Tiles are redrawn at most once a frame, however much output arrives. */
	#render(): void {
		this.#frame = 0;
		for (const id of this.#dirty) {
			const t = this.tiles.find((x) => x.consoleId === id);
			const tail = this.#tails.get(id);
			if (t && tail) t.text = tail.text();
		}
		this.#dirty.clear();
	}
}
