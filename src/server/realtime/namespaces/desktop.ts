import type { Namespace, Server } from 'socket.io';
import type { DesktopClientEvents, DesktopServerEvents } from '../../../lib/protocol/desktop';
import { DESKTOP_EVENTS } from '../../../lib/protocol/desktop';
import { readCookie } from '../../auth/cookies';
import { SESSION_COOKIE, validateSessionToken } from '../../auth/sessions';
import { can, loadPrincipal } from '../../auth/permissions';
import type { Runtime } from '../../runtime';
import { handle, type SocketData } from '../guard';
import { registerConsoleEvents } from './consoles';
import { registerGangEvents } from './gang';

export const DESKTOP_NAMESPACE = '/desktop';

/** Counts browser sockets on every node (through the adapter when there are several). */
export async function connectedBrowsers(io: Server): Promise<number> {
	return (await io.of(DESKTOP_NAMESPACE).fetchSockets()).length;
}

export function registerDesktopNamespace(io: Server, rt: Runtime): void {
	const ns = io.of(DESKTOP_NAMESPACE) as unknown as Namespace<
		DesktopClientEvents,
		DesktopServerEvents,
		Record<string, never>,
		SocketData
	>;

	ns.use(async (socket, next) => {
		try {
			const token = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE);
			const session = await validateSessionToken(rt.db, token, {
				idleMs: rt.config.sessionIdleMs,
				maxMs: rt.config.sessionMaxMs
			});
			if (!session) return next(new Error('Sign in first: no valid session.'));
			const principal = await loadPrincipal(rt.db, session.user);
			if (!can(principal, 'desktop.use')) return next(new Error('You are not allowed to use the desktop.'));
			socket.data = {
				sessionId: session.id,
				userId: session.user.id,
				username: session.user.username,
				principal,
				principalAt: Date.now()
			};
			next();
		} catch (e) {
			console.error('desktop socket auth failed:', e);
			next(new Error('The server could not check your session.'));
		}
	});

	registerConsoleEvents(ns as unknown as Namespace, rt);
	registerGangEvents(ns as unknown as Namespace, rt);
	ns.on('connection', (socket) => {
		const d = socket.data;
		socket.join([
			'all',
			`user:${d.userId}`,
			`session:${d.sessionId}`,
			...d.principal.roles.map((r) => `role:${r.id}`)
		]);
		handle(rt, socket, 'presence:get', DESKTOP_EVENTS['presence:get'], async (ack: (n: number) => void) => {
			if (typeof ack === 'function') ack(await connectedBrowsers(io));
		});
	});
}
