// Who is calling the REST API. A bearer token authenticates every method; a browser session cookie
// authenticates reads only (GET/HEAD), so a cross-site form or script can never write with it (CSRF).
import type { Db } from '../db/client';
import { loadPrincipal, type Principal } from '../auth/permissions';
import { scopedPrincipal, verifyApiToken, type TokenCheck, type TokenScope } from '../auth/api-tokens';
import { ApiError } from './errors';

export interface ApiCaller {
	/** The user narrowed to what this request may do: `can()` on it is the check. */
	principal: Principal;
	/** The user's own permissions, to tell "your token can't" from "you can't". */
	user: Principal;
	via: 'token' | 'session';
	scope: TokenScope;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const challenge = { 'www-authenticate': 'Bearer realm="fleetdesk"' };

// Both hooks.server.ts (to exempt token callers from the anonymous rate limit) and the route ask; the
// token is checked once per request.
const checked = new WeakMap<Request, Promise<TokenCheck | null>>();

function bearerOf(request: Request): string | null {
	const h = request.headers.get('authorization');
	if (h === null) return null;
	const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
	return m ? m[1] : '';
}

/** The token check for this request, or null when it carries no Authorization header. */
export function checkBearer(db: Db, request: Request): Promise<TokenCheck | null> {
	let p = checked.get(request);
	if (!p) {
		const token = bearerOf(request);
		p =
			token === null
				? Promise.resolve(null)
				: token === ''
					? Promise.resolve({
							ok: false as const,
							reason: 'Send the API token as: Authorization: Bearer fdk_…'
						})
					: verifyApiToken(db, token);
		checked.set(request, p);
	}
	return p;
}

/** For hooks.server.ts: does this request carry a valid API token? */
export async function hasValidApiToken(db: Db, request: Request): Promise<boolean> {
	return (await checkBearer(db, request))?.ok === true;
}

/** The caller of a REST request, or a 401 ApiError. */
export async function authenticate(
	db: Db,
	request: Request,
	sessionUser: Principal | null
): Promise<ApiCaller> {
	const check = await checkBearer(db, request);
	if (check) {
		if (!check.ok) throw new ApiError('unauthorized', check.reason, undefined, challenge);
		const user = await loadPrincipal(db, check.user);
		return { principal: scopedPrincipal(user, check.scope), user, via: 'token', scope: check.scope };
	}
	if (sessionUser) {
		if (!SAFE.has(request.method))
			throw new ApiError(
				'unauthorized',
				'Changes through the REST API need an API token (Authorization: Bearer …); a browser session can only read.',
				undefined,
				challenge
			);
		return {
			principal: scopedPrincipal(sessionUser, 'read'),
			user: sessionUser,
			via: 'session',
			scope: 'read'
		};
	}
	throw new ApiError(
		'unauthorized',
		'Send an API token: Authorization: Bearer fdk_… (create one in the desktop under API tokens).',
		undefined,
		challenge
	);
}
