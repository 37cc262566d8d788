import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Runtime } from '../runtime';
import { originAllowed } from '../auth/origin';
import { noteAccessChanged, setLiveHooks } from '../access/live';
import { recheckViewers } from '../consoles/join';
import { registerDesktopNamespace } from './namespaces/desktop';
import { listenAccessChanged, listenSessionsEnded, publishAccessChanged } from './session-bus';

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
	// Access changed: roles and device groups are loaded again at the next check, and viewers already in a
	// console's room are checked at once (one who may no longer view it is put out; a mode change shows).
	let recheck: NodeJS.Timeout | null = null;
	const accessChangedHere = () => {
		noteAccessChanged();
		recheck ??= setTimeout(() => {
			recheck = null;
			void recheckViewers(rt.db).catch((e) =>
				console.error('consoles: checking viewers after an access change failed:', (e as Error).message)
			);
		}, 50);
	};
	const pool = rt.database.pool;
	setLiveHooks({
		sessionsEnded: end(false),
		accessChanged: () => {
			accessChangedHere();
			if (pool)
				void publishAccessChanged(pool, rt.nodeId).catch((e) =>
					console.error('Could not tell the other nodes that access changed:', (e as Error).message)
				);
		}
	});
	if (pool) {
		const bus = listenSessionsEnded(pool, (e) => end(true)(e.userId, e.sessionIds, e.reason));
		const access = listenAccessChanged(pool, rt.nodeId, accessChangedHere);
		const close = () => {
			bus.close();
			access.close();
		};
		io.engine.on('close', close);
		http.once('close', close);
	}
	return io;
}
