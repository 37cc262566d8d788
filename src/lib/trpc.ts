import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '$server/trpc/router';

/** The typed tRPC client. Same-origin, so the session cookie and Origin header go along. */
export const trpc = createTRPCClient<AppRouter>({
	links: [httpBatchLink({ url: '/api/trpc' })]
});

/** The one-sentence message to show a user for any failed call. */
export function errorMessage(e: unknown): string {
	if (e instanceof TRPCClientError) return e.message;
	if (e instanceof Error) return e.message;
	return 'Something went wrong.';
}
