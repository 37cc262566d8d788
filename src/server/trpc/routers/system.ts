import { procedure, router } from '../trpc';
import { runtime, hasRuntime } from '../../runtime';
import { connectedBrowsers } from '../../realtime/namespaces/desktop';

export const systemRouter = router({
	info: procedure('system.read').query(async ({ ctx }) => {
		const rt = hasRuntime() ? runtime() : null;
		return {
			version: rt?.version ?? 'unknown',
			database: rt?.dbKind ?? 'unknown',
			nodeId: rt?.nodeId ?? 'unknown',
			startedAt: rt?.startedAt.toISOString() ?? null,
			uptimeSeconds: rt ? Math.round((Date.now() - rt.startedAt.getTime()) / 1000) : 0,
			connectedBrowsers: rt?.io ? await connectedBrowsers(rt.io) : 0,
			node: process.version,
			platform: `${process.platform} ${process.arch}`,
			you: ctx.user.username
		};
	})
});
