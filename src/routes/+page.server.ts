import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { runtime } from '$server/runtime';
import { can, effectiveActions } from '$server/auth/permissions';
import { loadLayout } from '$server/desktop/layout';
import { ALL_ACTIONS } from '$lib/protocol/permissions';

export const load: PageServerLoad = async ({ locals, url }) => {
	if (!locals.user)
		redirect(
			303,
			`/login${url.pathname === '/' && !url.search ? '' : `?next=${encodeURIComponent(url.pathname + url.search)}`}`
		);
	if (!can(locals.user, 'desktop.use')) redirect(303, '/login');
	const rt = runtime();
	return {
		me: {
			id: locals.user.userId,
			username: locals.user.username,
			roles: locals.user.roles.map((r) => r.name),
			actions: effectiveActions(locals.user, ALL_ACTIONS)
		},
		layout: await loadLayout(rt.db, locals.user.userId)
	};
};
