import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { runtime } from '$server/runtime';
import { checkLogin } from '$server/access/users';
import { createSession, sessionCookieOptions, SESSION_COOKIE } from '$server/auth/sessions';
import { audit } from '$server/audit/audit';
import { limiters } from '$server/http/guards';

export const load: PageServerLoad = ({ locals }) => {
	if (locals.user) redirect(303, '/');
};

const GENERIC = 'Wrong username or password, or the account is locked for now.';

export const actions: Actions = {
	default: async ({ request, cookies, getClientAddress, url }) => {
		const rt = runtime();
		const ip = getClientAddress();
		const form = await request.formData();
		const username = String(form.get('username') ?? '').trim();
		const password = String(form.get('password') ?? '');
		if (!username || !password) return fail(400, { username, message: 'Enter your username and password.' });
		if (username.length > 64 || password.length > 256) return fail(400, { username, message: GENERIC });

		const wait = limiters(rt.config.loginRatePerMinute).login.hit(ip);
		if (wait)
			return fail(429, { username, message: `Too many sign-in attempts from your address; wait ${wait} s.` });

		const result = await checkLogin(rt.db, username, password, ip);
		if (!result.ok) {
			await audit(
				rt.db,
				{ id: null, name: username, ip },
				{ action: 'auth.sign-in-failed', targetType: 'user', targetName: username }
			);
			return fail(400, { username, message: GENERIC });
		}
		const session = await createSession(
			rt.db,
			result.userId,
			{ idleMs: rt.config.sessionIdleMs, maxMs: rt.config.sessionMaxMs },
			{ ip, userAgent: request.headers.get('user-agent') ?? '' }
		);
		await audit(
			rt.db,
			{ id: result.userId, name: result.username, ip },
			{
				action: 'auth.sign-in',
				targetType: 'user',
				targetId: result.userId,
				targetName: result.username
			}
		);
		cookies.set(
			SESSION_COOKIE,
			session.token,
			sessionCookieOptions(url.protocol === 'https:', session.expiresAt)
		);
		const next = url.searchParams.get('next');
		redirect(303, next && /^\/(?!\/)/.test(next) ? next : '/');
	}
};
