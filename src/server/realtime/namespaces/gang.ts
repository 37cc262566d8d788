// Gang connect and macro playback on /desktop (protocol: src/lib/protocol/gang.ts; permission per event:
// GANG_EVENTS, then the checks per console's device in src/server/consoles). A socket's gang input is
// handled one message after the other, so keystrokes reach every console in the order they were typed.
import type { Namespace, Socket } from 'socket.io';
import { GANG_EVENTS, GANG_MAX_CONSOLES } from '../../../lib/protocol/gang';
import { can, loadPrincipal } from '../../auth/permissions';
import type { Runtime } from '../../runtime';
import type { SocketData } from '../guard';
import { gangInput, gangOpen } from '../../consoles/gang';
import { playMacro } from '../../consoles/macros/player';
import { listRuns, startMacroBus, stopRun } from '../../consoles/macros/run';
import { staleSince } from '../../access/live';

type Event = keyof typeof GANG_EVENTS;

const isId = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;

function idList(v: unknown): number[] | null {
	return Array.isArray(v) && v.length <= GANG_MAX_CONSOLES * 2 && v.every(isId) ? v : null;
}

export function registerGangEvents(ns: Namespace, rt: Runtime): void {
	startMacroBus(ns);
	ns.on('connection', (socket) => attach(rt, socket));
}

function attach(rt: Runtime, socket: Socket): void {
	const db = rt.db;
	const d = socket.data as SocketData;
	let chain: Promise<unknown> = Promise.resolve();

	/**
	 * Checks the event's permission with the user's current roles, then runs `fn`: gang joins and input after
	 * the socket's earlier ones (in order), macro requests at once.
	 */
	const on = (event: Event, fn: (m: Record<string, unknown>) => Promise<unknown>, needsAck: boolean) => {
		const inOrder = event.startsWith('gang:');
		socket.on(event, (...args: unknown[]) => {
			const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (a: unknown) => void) : null;
			if (needsAck && !ack) return;
			const reply = ack ?? (() => {});
			const m = (args[0] && typeof args[0] === 'object' ? args[0] : {}) as Record<string, unknown>;
			const run = async () => {
				try {
					if (staleSince(d.principalAt)) {
						const at = Date.now();
						d.principal = await loadPrincipal(db, { id: d.userId, username: d.username });
						d.principalAt = at;
					}
					if (!can(d.principal, GANG_EVENTS[event]))
						return reply({ ok: false, error: `You are not allowed to do this (${GANG_EVENTS[event]}).` });
					reply(await fn(m));
				} catch (e) {
					console.error(`socket event ${event} failed:`, e);
					reply({ ok: false, error: 'The server could not handle this request.' });
				}
			};
			if (inOrder) chain = chain.then(run);
			else void run();
		});
	};

	on(
		'gang:open',
		async (m) => {
			const ids = idList(m.consoleIds);
			return ids ? gangOpen(db, socket, ids) : { ok: false, error: 'Say which consoles (consoleIds).' };
		},
		true
	);
	on(
		'gang:input',
		async (m) => {
			if (typeof m.data !== 'string') return { ok: false, error: 'Input is text (data).' };
			const only = m.consoleIds === undefined ? undefined : idList(m.consoleIds);
			if (only === null) return { ok: false, error: 'consoleIds is a list of console ids.' };
			return gangInput(db, socket, m.data, only);
		},
		false
	);
	on(
		'macro:play',
		async (m) => {
			const ids = idList(m.consoleIds);
			if (!isId(m.macroId) || !ids)
				return { ok: false, error: 'Say which macro (macroId) and consoles (consoleIds).' };
			const user = { ...d, ip: socket.handshake.address };
			return playMacro(db, user, m.macroId, ids);
		},
		true
	);
	on(
		'macro:stop',
		async (m) => {
			if (typeof m.runId !== 'string') return { ok: false, error: 'Say which run (runId).' };
			const r = await stopRun(m.runId, d.userId, can(d.principal, 'consoles.manage'));
			if (r === 'stopped') return { ok: true };
			if (r === 'forbidden') return { ok: false, error: 'Only the user who played this macro may stop it.' };
			return { ok: false, error: 'That macro is not running any more.' };
		},
		true
	);
	// macro:runs has only an ack, no message.
	socket.on('macro:runs', (ack: unknown) => {
		if (typeof ack !== 'function') return;
		if (!can(d.principal, GANG_EVENTS['macro:runs'])) return ack([]);
		void listRuns(d.userId).then(
			(runs) => ack(runs),
			(e) => {
				console.error('socket event macro:runs failed:', e);
				ack([]);
			}
		);
	});
}
