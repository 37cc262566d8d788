import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { appRouter } from '$server/trpc/router';
import { runtime } from '$server/runtime';

const handler: RequestHandler = (event) =>
	fetchRequestHandler({
		endpoint: '/api/trpc',
		req: event.request,
		router: appRouter,
		createContext: () => ({
			db: runtime().db,
			user: event.locals.user,
			sessionId: event.locals.session?.id ?? null,
			ip: event.getClientAddress()
		})
	});

export const GET = handler;
export const POST = handler;
