import { describe, expect, it } from 'vitest';
import type { DesktopSocket } from '$lib/realtime';
import type { ConsoleJoinAck, ConsoleRoomState } from '$protocol/consoles';
import { ConsoleRoom } from './room.svelte';

const enc = new TextEncoder();
const dec = new TextDecoder();

const ROOM: ConsoleRoomState = {
	consoleId: 7,
	state: 'open',
	message: null,
	participants: [],
	writer: null,
	oneWriter: false
};

/**
 * The browser side of the /desktop socket, as far as a room uses it: handlers by event, what the room sent,
 * and join answers given by the test (the server itself is exercised by the e2e and integration specs).
 */
class Socket {
	connected = true;
	handlers = new Map<string, ((...a: unknown[]) => void)[]>();
	sent: [string, unknown][] = [];
	joins: ((a: ConsoleJoinAck) => void)[] = [];

	on(ev: string, fn: (...a: unknown[]) => void) {
		this.handlers.set(ev, [...(this.handlers.get(ev) ?? []), fn]);
		return this;
	}
	off(ev: string, fn: (...a: unknown[]) => void) {
		this.handlers.set(
			ev,
			(this.handlers.get(ev) ?? []).filter((f) => f !== fn)
		);
		return this;
	}
	fire(ev: string, ...a: unknown[]) {
		for (const f of this.handlers.get(ev) ?? []) f(...a);
	}
	emit(ev: string, m: unknown) {
		this.sent.push([ev, m]);
		return this;
	}
	timeout() {
		return {
			emitWithAck: (ev: string, m: unknown) => {
				this.sent.push([ev, m]);
				if (ev === 'console:join') return new Promise((resolve) => this.joins.push(resolve));
				if (ev === 'console:ping') return Promise.resolve(m);
				return Promise.resolve({ ok: true });
			}
		};
	}
	connect() {}
}

function setup(me = 1) {
	const socket = new Socket();
	let screen = '';
	const room = new ConsoleRoom(
		7,
		me,
		{ reset: () => (screen = ''), write: (d) => (screen += dec.decode(d)) },
		socket as unknown as DesktopSocket
	);
	room.start();
	return { socket, room, screen: () => screen };
}

const output = (seq: number, text: string, consoleId = 7) => ({ consoleId, seq, data: enc.encode(text) });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('a console room in the browser', () => {
	it('writes the scrollback, then only output after its sequence number, once each', async () => {
		const { socket, room, screen } = setup();
		// Output that arrives while the join is in flight waits for the scrollback.
		socket.fire('console:output', output(10, 'old'));
		socket.fire('console:output', output(11, '-live1'));
		socket.joins[0]({
			ok: true,
			mode: 'write',
			canBreak: false,
			room: ROOM,
			scrollback: enc.encode('$ old'),
			seq: 10
		});
		await flush();
		expect(room.phase).toBe('joined');
		expect(screen()).toBe('$ old-live1');
		socket.fire('console:output', output(11, '-dup'));
		socket.fire('console:output', output(12, '-live2'));
		socket.fire('console:output', output(13, 'other console', 8));
		expect(screen()).toBe('$ old-live1-live2');
	});

	it('resyncs when it fell behind and rejoins after a reconnect', async () => {
		const { socket, room, screen } = setup();
		socket.joins[0]({
			ok: true,
			mode: 'view',
			canBreak: false,
			room: ROOM,
			scrollback: enc.encode('a'),
			seq: 1
		});
		await flush();
		socket.fire('console:behind', { consoleId: 7, dropped: 40 });
		expect(room.phase).toBe('resyncing');
		expect(room.notice?.message).toBe('You fell behind; resyncing…');
		socket.joins[1]({
			ok: true,
			mode: 'view',
			canBreak: false,
			room: ROOM,
			scrollback: enc.encode('abc'),
			seq: 3
		});
		await flush();
		expect(room.phase).toBe('joined');
		expect(screen()).toBe('abc');
		socket.connected = false;
		socket.fire('disconnect');
		expect(room.phase).toBe('disconnected');
		socket.connected = true;
		socket.fire('connect');
		expect(socket.joins.length).toBe(3);
	});

	it('sends nothing for a viewer, and only the holder of the keyboard types on a one-writer console', async () => {
		const viewer = setup();
		viewer.socket.joins[0]({
			ok: true,
			mode: 'view',
			canBreak: false,
			room: ROOM,
			scrollback: new Uint8Array(),
			seq: 0
		});
		await flush();
		expect(viewer.room.send('ls\r')).toBe(false);
		expect(viewer.socket.sent.some(([ev]) => ev === 'console:input')).toBe(false);
		expect(viewer.room.notice?.message).toMatch(/Read-only/);

		const w = setup(5);
		const one = { ...ROOM, oneWriter: true, writer: { userId: 9, username: 'bob' } };
		w.socket.joins[0]({
			ok: true,
			mode: 'write',
			canBreak: true,
			room: one,
			scrollback: new Uint8Array(),
			seq: 0
		});
		await flush();
		expect(w.room.canType).toBe(false);
		w.room.resize(100, 30);
		expect(w.socket.sent.some(([ev]) => ev === 'console:resize')).toBe(false);
		w.socket.fire('console:room', { ...one, writer: { userId: 5, username: 'me' } });
		expect(w.room.canType).toBe(true);
		// Gaining the keyboard sets the pipe's size to ours.
		expect(w.socket.sent).toContainEqual(['console:resize', { consoleId: 7, cols: 100, rows: 30 }]);
		expect(w.room.send('ls\r')).toBe(true);
		expect(w.socket.sent).toContainEqual(['console:input', { consoleId: 7, data: 'ls\r' }]);
	});

	it('leaves only when the last window of the console closes', async () => {
		const a = setup();
		const b = new ConsoleRoom(7, 1, { reset() {}, write() {} }, a.socket as unknown as DesktopSocket);
		b.start();
		a.room.stop();
		expect(a.socket.sent.some(([ev]) => ev === 'console:leave')).toBe(false);
		b.stop();
		expect(a.socket.sent.filter(([ev]) => ev === 'console:leave')).toEqual([
			['console:leave', { consoleId: 7 }]
		]);
	});
});
