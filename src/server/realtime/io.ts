import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Runtime } from '../runtime';
import { originAllowed } from '../auth/origin';
import { setLiveHooks } from '../access/live';
import { registerDesktopNamespace } from './namespaces/desktop';
import { listenSessionsEnded } from './session-bus';

/** Attaches Socket.IO to the node's HTTP server; across nodes on PostgreSQL rooms span every node. */
export async function attachRealtime(http: HttpServer, rt: Runtime): Promise<Server> {
	const io = new Server(http, {
		serveClient: false,
		allowRequest: (req, cb) => {
			const ok = originAllowed(rt.config, req.headers, 'encrypted' in req.socket && !!req.socket.encrypted);
			cb(ok ? null : 'This origin may not connect to Fleetdesk', ok);
		}
	});
	if (rt.database.pool) {
		const { createAdapter } = await import('@socket.io/postgres-adapter');
		io.adapter(
			createAdapter(rt.database.pool, { errorHandler: (e) => console.error('Socket.IO adapter:', e.message) })
		);
	}
	rt.io = io;
	registerDesktopNamespace(io, rt);
	const end = (local: boolean) => (userId: number | null, sessionIds: string[], reason: string) => {
		const ns = local ? io.of('/desktop').local : io.of('/desktop');
		const rooms = [...sessionIds.map((s) => `session:${s}`), ...(userId ? [`user:${userId}`] : [])];
		if (!rooms.length) return;
		ns.to(rooms).emit('session:ended', reason);
		ns.in(rooms).disconnectSockets(true);
	};
	setLiveHooks({ sessionsEnded: end(false) });
	if (rt.database.pool) {
		const bus = listenSessionsEnded(rt.database.pool, (e) => end(true)(e.userId, e.sessionIds, e.reason));
		io.engine.on('close', () => bus.close());
		http.once('close', () => bus.close());
	}
	return io;
}
