// The consoles' /desktop events (protocol: src/lib/protocol/consoles.ts; permission per event: CONSOLE_EVENTS,
// then the check on the console's device in src/server/consoles/). Events of one socket for one console are
// handled one after the other, so keystrokes reach the pipe in the order they were typed even when a check
// has to wait for the database.
import type { Namespace, Socket } from 'socket.io';
import { CONSOLE_EVENTS, type ConsoleAck } from '../../../lib/protocol/consoles';
import { can, loadPrincipal } from '../../auth/permissions';
import type { Runtime } from '../../runtime';
import type { SocketData } from '../guard';
import { startConsoleBroker } from '../../consoles/cluster';
import { joinConsole, leaveConsole, roomsOf } from '../../consoles/join';
import { consoleBreak, consoleInput, consoleResize } from '../../consoles/input';
import { consoleControl, type ControlAction } from '../../consoles/control';
import { staleSince } from '../../access/live';

const CONTROL_ACTIONS = new Set(['request', 'release', 'handover', 'take']);

type Event = keyof typeof CONSOLE_EVENTS;

function consoleIdOf(m: unknown): number | null {
	const id = (m as { consoleId?: unknown } | null)?.consoleId;
	return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

export function registerConsoleEvents(ns: Namespace, rt: Runtime): void {
	startConsoleBroker(rt);
	ns.on('connection', (socket) => attach(rt, socket));
}

function attach(rt: Runtime, socket: Socket): void {
	const db = rt.db;
	const d = socket.data as SocketData;
	const chains = new Map<number, Promise<void>>();
	let refreshing: Promise<void> | null = null;

	const principal = async () => {
		if (!staleSince(d.principalAt)) return;
		const at = Date.now();
		refreshing ??= loadPrincipal(db, { id: d.userId, username: d.username })
			.then((p) => {
				d.principal = p;
				d.principalAt = at;
			})
			.finally(() => (refreshing = null));
		await refreshing;
	};

	/** Runs `fn` after this socket's earlier events for the same console, with the event's permission checked. */
	const on = (event: Event, fn: (consoleId: number, m: never) => Promise<unknown>, hasAck: boolean) => {
		socket.on(event, (m: unknown, ack?: unknown) => {
			const reply = typeof ack === 'function' ? (ack as (a: unknown) => void) : () => {};
			if (hasAck && typeof ack !== 'function') return;
			const id = consoleIdOf(m);
			if (id === null) return reply({ ok: false, error: 'Say which console (consoleId).' });
			const run = async () => {
				try {
					await principal();
					if (!can(d.principal, CONSOLE_EVENTS[event]))
						return reply({ ok: false, error: `You are not allowed to do this (${CONSOLE_EVENTS[event]}).` });
					const r = await fn(id, m as never);
					if (r !== undefined) reply(r);
				} catch (e) {
					console.error(`socket event ${event} failed:`, e);
					reply({ ok: false, error: 'The server could not handle this request.' });
				}
			};
			const next = (chains.get(id) ?? Promise.resolve()).then(run);
			chains.set(id, next);
			void next.then(() => {
				if (chains.get(id) === next) chains.delete(id);
			});
		});
	};

	on('console:join', (id) => joinConsole(db, socket, id), true);
	on('console:leave', (id) => leaveConsole(db, socket, id).then(() => undefined), false);
	on(
		'console:input',
		async (id, m: { data?: unknown }): Promise<ConsoleAck> =>
			typeof m.data === 'string'
				? consoleInput(db, socket, id, m.data)
				: { ok: false, error: 'Input is text (data).' },
		false
	);
	on(
		'console:resize',
		async (id, m: { cols?: unknown; rows?: unknown }) => {
			await consoleResize(db, socket, id, Number(m.cols), Number(m.rows));
			return undefined;
		},
		false
	);
	on('console:break', (id) => consoleBreak(db, socket, id), true);
	on(
		'console:control',
		async (id, m: { action?: unknown; userId?: unknown }): Promise<ConsoleAck> =>
			CONTROL_ACTIONS.has(String(m.action))
				? consoleControl(
						db,
						socket,
						id,
						m.action as ControlAction,
						typeof m.userId === 'number' ? m.userId : undefined
					)
				: { ok: false, error: 'The action is request, release, handover or take.' },
		true
	);
	socket.on('console:ping', (sentAt: unknown, ack: unknown) => {
		if (typeof ack === 'function' && can(d.principal, CONSOLE_EVENTS['console:ping'])) ack(sentAt);
	});
	socket.on('disconnect', () => {
		for (const id of roomsOf(socket.id))
			void leaveConsole(db, socket, id).catch((e) =>
				console.error('consoles: leaving on disconnect failed:', e)
			);
	});
}
