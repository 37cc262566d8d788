import type { Socket } from 'socket.io';
import type { Action } from '../../lib/protocol/permissions';
import { can, loadPrincipal, type Principal } from '../auth/permissions';
import type { Runtime } from '../runtime';
import { staleSince } from '../access/live';

export interface SocketData {
	sessionId: string;
	userId: number;
	username: string;
	principal: Principal;
	principalAt: number;
}

/**
 * Registers a socket event with the permission it needs. The check runs on every call, with the user's
 * current roles (reloaded at most every few seconds), so a revoked grant takes effect at once.
 */
export function handle<A extends unknown[]>(
	rt: Runtime,
	socket: Socket,
	event: string,
	permission: Action,
	handler: (...args: A) => unknown | Promise<unknown>
): void {
	socket.on(event, async (...args: unknown[]) => {
		const data = socket.data as SocketData;
		const ack =
			typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as (r: unknown) => void) : null;
		try {
			if (staleSince(data.principalAt)) {
				const at = Date.now();
				data.principal = await loadPrincipal(rt.db, { id: data.userId, username: data.username });
				data.principalAt = at;
			}
			if (!can(data.principal, permission)) {
				ack?.({ error: `You are not allowed to do this (${permission}).` });
				return;
			}
			await handler(...(args as A));
		} catch (e) {
			console.error(`socket event ${event} failed:`, e);
			ack?.({ error: 'The server could not handle this request.' });
		}
	});
}
