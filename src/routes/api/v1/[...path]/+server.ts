import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { handleApiRequest } from '$server/api';

/** Every method on /api/v1/… goes to the REST router (src/server/api), which answers 404/405 itself. */
export const fallback: RequestHandler = (event) =>
	handleApiRequest({
		db: runtime().db,
		request: event.request,
		url: event.url,
		path: event.url.pathname.slice('/api/v1'.length) || '/',
		sessionUser: event.locals.user,
		ip: event.getClientAddress()
	});
