// Shared by the plain HTTP routes outside tRPC and the REST API (CMDB export and documents, the idle-servers
// CSV): the same permission check as tRPC, and the one error shape `{ error: { message } }`.
import type { RequestEvent } from '@sveltejs/kit';
import type { Action } from '../../lib/protocol/permissions';
import { can } from '../auth/permissions';
import type { Actor } from '../audit/audit';
import { UserError } from '../errors';

export function jsonError(status: number, message: string): Response {
	return new Response(JSON.stringify({ error: { message } }), {
		status,
		headers: {
			'content-type': 'application/json',
			'cache-control': 'no-store',
			// A refused upload's unread rest would stall the next request on this connection.
			...(status === 413 ? { connection: 'close' } : {})
		}
	});
}

/** The acting user, or the 401/403 response to send instead. */
export function authorise(event: RequestEvent, action: Action): Actor | Response {
	const user = event.locals.user;
	if (!user) return jsonError(401, 'Sign in first.');
	if (!can(user, action)) return jsonError(403, `You are not allowed to do this (${action}).`);
	return { id: user.userId, name: user.username, ip: event.getClientAddress() };
}

const STATUS = {
	BAD_REQUEST: 400,
	UNAUTHORIZED: 401,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	CONFLICT: 409
} as const;

/** A UserError as its JSON response; anything else is logged and answered with a 500 that says so. */
export function errorResponse(e: unknown): Response {
	if (e instanceof UserError) {
		const status = 'status' in e && typeof e.status === 'number' ? e.status : STATUS[e.code];
		return jsonError(status, e.message);
	}
	console.error('HTTP route failed:', e);
	return jsonError(500, 'The server failed to do this; the error is in its log.');
}

/** A positive integer route parameter, or null. */
export function idParam(s: string | undefined): number | null {
	return s && /^\d{1,9}$/.test(s) && Number(s) > 0 ? Number(s) : null;
}
