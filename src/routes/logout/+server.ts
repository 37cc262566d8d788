import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { deleteSession, SESSION_COOKIE } from '$server/auth/sessions';
import { audit } from '$server/audit/audit';
import { live } from '$server/access/live';

/** Ends the session on the server, then clears the cookie. POST only, so a link can't sign anyone out. */
export const POST: RequestHandler = async ({ locals, cookies, getClientAddress }) => {
	if (locals.session && locals.user) {
		const rt = runtime();
		await deleteSession(rt.db, locals.session.id);
		await audit(
			rt.db,
			{ id: locals.user.userId, name: locals.user.username, ip: getClientAddress() },
			{
				action: 'auth.sign-out',
				targetType: 'user',
				targetId: locals.user.userId,
				targetName: locals.user.username
			}
		);
		live().sessionsEnded(null, [locals.session.id], 'You signed out.');
	}
	cookies.delete(SESSION_COOKIE, { path: '/' });
	redirect(303, '/login');
};
