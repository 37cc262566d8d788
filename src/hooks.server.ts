import type { Handle, ServerInit } from '@sveltejs/kit';
import { runtime } from '$server/runtime';
import { SESSION_COOKIE, validateSessionToken } from '$server/auth/sessions';
import { loadPrincipal } from '$server/auth/permissions';
import { originAllowed } from '$server/auth/origin';
import { limiters } from '$server/http/guards';
import { hasValidApiToken } from '$server/api/auth';
import { ocsCredentialsValid } from '$server/inventory/ocs/auth';
import { registerServerKit } from '$server/kit';

/** The production entry takes the server's services from this bundle, so the process runs one copy of them. */
export const init: ServerInit = () => {
	registerServerKit();
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function json(status: number, code: string, message: string, extra: Record<string, string> = {}): Response {
	return new Response(JSON.stringify({ error: { code, message } }), {
		status,
		headers: { 'content-type': 'application/json', ...extra }
	});
}

export const handle: Handle = async ({ event, resolve }) => {
	const rt = runtime();
	const secure = event.url.protocol === 'https:';

	if (!SAFE_METHODS.has(event.request.method)) {
		const headers = Object.fromEntries(event.request.headers);
		if (!originAllowed(rt.config, headers, secure)) {
			return json(
				403,
				'forbidden',
				'Cross-site request refused: this request did not come from a Fleetdesk page.'
			);
		}
	}

	event.locals.user = null;
	event.locals.session = null;
	const token = event.cookies.get(SESSION_COOKIE);
	if (token) {
		const session = await validateSessionToken(rt.db, token, {
			idleMs: rt.config.sessionIdleMs,
			maxMs: rt.config.sessionMaxMs
		});
		if (session) {
			event.locals.session = { id: session.id, expiresAt: session.expiresAt };
			event.locals.user = await loadPrincipal(rt.db, session.user);
		} else {
			event.cookies.delete(SESSION_COOKIE, { path: '/' });
		}
	}

	// A REST client with a valid API token is not anonymous; a wrong token still counts, so guessing is slowed.
	const viaToken =
		!event.locals.user &&
		event.url.pathname.startsWith('/api/v1/') &&
		(await hasValidApiToken(rt.db, event.request));
	// Likewise an OCS agent with the right Basic credentials (a fleet behind one NAT address reports at once).
	const viaOcs =
		event.url.pathname === '/ocsinventory' &&
		ocsCredentialsValid(rt.config, event.request.headers.get('authorization'));
	if (!event.locals.user && !viaToken && !viaOcs && event.url.pathname !== '/healthz') {
		const wait = limiters(rt.config.loginRatePerMinute).anonymous.hit(event.getClientAddress());
		if (wait)
			return json(429, 'too_many_requests', `Too many requests; try again in ${wait} s.`, {
				'retry-after': String(wait)
			});
	}

	const response = await resolve(event);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	response.headers.set('x-frame-options', 'DENY');
	response.headers.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
	if (!response.headers.has('content-security-policy')) {
		response.headers.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
	}
	if (secure) response.headers.set('strict-transport-security', 'max-age=31536000');
	return response;
};
