// The agent gateway: its own TLS port. TLS asks every client for a certificate but lets the handshake
// finish without one (enrolment must work before an agent has a certificate); this layer then allows
// POST /enroll to anyone and everything else, including every Socket.IO connection, only to a client whose
// certificate chains to our CA and names an enrolled, non-revoked agent. See docs/agents.md.
import crypto from 'node:crypto';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { Runtime } from '../runtime';
import { agents } from '../db/schema';
import { RateLimiter } from '../auth/rate-limit';
import { can } from '../auth/permissions';
import type { SocketData } from '../realtime/guard';
import {
	AGENT_NAMESPACE,
	FLEET_ROOM,
	MAX_AGENT_MESSAGE_BYTES,
	type AgentToServerEvents,
	type LinkRefusal,
	type ServerToAgentEvents
} from '../../lib/protocol/agent';
import { ensurePki, gatewayCredentials, type GatewayCredentials } from './pki';
import { emitAgentStatus } from './registry';
import { handleLink } from './link';
import { agentIdOf, handleGatewayRequest, refusalLogger, semaphore, sendJson } from './gateway-http';
import { listenAgentLinkCommands, setLocalAgentLink, type AgentLinkCommand } from './live';
import { deliverQueued, sweepTasks } from '../tasks/deliver';
// What each kind of report does (registered before the gateway takes reports).
import '../tasks/status';
import '../inventory/report-handler';
// Modules with their own link events (registered before the first link).
import '../consoles/link';
import '../logs/link';
import { startInventoryWorker } from '../inventory/worker';

/** A live link is held under a lease in the database, renewed while it lasts; a dead node's lease runs out. */
const LEASE_SECONDS = 30;
const RENEW_MS = 10_000;
/**
 * PGlite is one process's own database: no other node can take a link over, and start-up clears every lease
 * a crash left behind. So the lease never runs out on its own there, and renewal only refreshes last-seen,
 * rarely (each renewal is an UPDATE of every link on the server's own thread).
 */
const PGLITE_LEASE_SECONDS = 10 * 365 * 24 * 3600;
const PGLITE_RENEW_MS = 5 * 60_000;
const CERT_CHECK_MS = 24 * 3600_000;
const TASK_SWEEP_MS = 30_000;
/** Identity checks (two queries each) running at once while agents connect. */
const MAX_CONCURRENT_CHECKS = 32;

export interface LinkData {
	agentId: string;
	connId: string;
	hostname: string;
	deviceId: number | null;
}

export type AgentNamespace = Namespace<
	AgentToServerEvents,
	ServerToAgentEvents,
	Record<string, never>,
	LinkData
>;
export type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, LinkData>;

export interface AgentGateway {
	port: number;
	namespace: AgentNamespace;
	close(): Promise<void>;
}

export { agentRoom } from './link';

const KEY = Symbol.for('fleetdesk.agentGateway');
type G = typeof globalThis & { [KEY]?: AgentGateway };
/** The gateway running in this process, if any (other modules emit to agents through its namespace). */
export function agentGateway(): AgentGateway | undefined {
	return (globalThis as G)[KEY];
}

/** Desktop sockets of users who may see agents join the 'fleet' room, where agent state changes are sent. */
function joinFleetRoom(rt: Runtime): void {
	rt.io?.of('/desktop').on('connection', (s) => {
		const p = (s.data as SocketData | undefined)?.principal;
		if (p && can(p, 'agents.read')) void s.join(FLEET_ROOM);
	});
}

export async function startAgentGateway(rt: Runtime): Promise<AgentGateway | null> {
	joinFleetRoom(rt);
	const { port, explicit, hostnames } = rt.config.agent;
	if (port === null) {
		console.log('Agent gateway: off (FLEETDESK_AGENT_PORT).');
		return null;
	}
	const db = rt.db;
	await ensurePki(db, rt.config);
	let creds: GatewayCredentials = await gatewayCredentials(db, rt.config, rt.nodeId, hostnames);
	const logRefusal = refusalLogger();
	const enrolLimiter = new RateLimiter(30, 60_000);
	const local = new Map<string, AgentSocket>();
	let closing = false;

	// A crashed or restarted node leaves leases behind; they are ours, and nothing of ours is connected yet.
	await db
		.update(agents)
		.set({ connectionId: null, connectedNode: null, leaseUntil: null })
		.where(rt.dbKind === 'pglite' ? isNotNull(agents.connectionId) : eq(agents.connectedNode, rt.nodeId));

	const server = https.createServer({
		key: creds.key,
		cert: creds.chain,
		ca: [creds.ca],
		requestCert: true,
		rejectUnauthorized: false,
		minVersion: 'TLSv1.2'
	});
	server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
		// A client that hangs up mid-handshake (the agent's CA-pin probe does) is not a refusal.
		if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
		logRefusal(socket.remoteAddress ?? '', `TLS handshake failed (${err.code ?? err.message})`);
	});

	/** The enrolled, non-revoked agent a verified client certificate belongs to, or why there is none. */
	async function identify(
		tls: TLSSocket
	): Promise<{ agent: typeof agents.$inferSelect } | (LinkRefusal & { why: string })> {
		if (!tls.authorized)
			return {
				code: 'no-certificate',
				why: `no client certificate from this Fleetdesk's CA (${tls.authorizationError ?? 'none presented'})`
			};
		const peer = tls.getPeerCertificate();
		const id = agentIdOf(peer);
		if (!id) return { code: 'unknown-agent', why: 'the client certificate names no agent' };
		const [a] = await db.select().from(agents).where(eq(agents.id, id));
		if (!a || a.certFingerprint !== peer.fingerprint256)
			return {
				code: 'unknown-agent',
				why: `agent ${id} is not enrolled here, or its certificate was replaced`
			};
		if (a.revokedAt) return { code: 'revoked', why: `agent ${id} (${a.hostname}) is revoked` };
		return { agent: a };
	}

	// Registered before Socket.IO attaches: engine.io answers its own path and hands every other request here.
	server.on(
		'request',
		(req, res) =>
			void handleGatewayRequest(req, res, {
				db,
				config: rt.config,
				enrolLimiter,
				logRefusal,
				identify
			}).catch((e) => {
				console.error('agent gateway request failed:', e);
				sendJson(res, 500, { error: 'The server failed.' });
			})
	);

	const io = new Server<AgentToServerEvents, ServerToAgentEvents, Record<string, never>, LinkData>(server, {
		serveClient: false,
		transports: ['websocket'],
		maxHttpBufferSize: MAX_AGENT_MESSAGE_BYTES,
		pingInterval: 10_000,
		pingTimeout: 10_000,
		allowRequest: (req, cb) => {
			const tls = req.socket as TLSSocket;
			if (tls.authorized) return cb(null, true);
			logRefusal(
				req.socket.remoteAddress ?? '',
				`link without a client certificate from this Fleetdesk's CA (${tls.authorizationError ?? 'none presented'})`
			);
			cb('A client certificate issued by this Fleetdesk is required.', false);
		}
	});
	if (rt.database.pool) {
		const { createAdapter } = await import('@socket.io/postgres-adapter');
		io.adapter(
			createAdapter(rt.database.pool, {
				channelPrefix: 'fleetdesk_agent_io',
				errorHandler: (e) => console.error('agent gateway adapter:', e.message)
			})
		);
	}
	io.of('/').use((_s, next) => next(new Error(`Connect to the ${AGENT_NAMESPACE} namespace.`)));
	const ns: AgentNamespace = io.of(AGENT_NAMESPACE);

	const single = rt.dbKind === 'pglite';
	const leaseUntil = sql`now() + make_interval(secs => ${single ? PGLITE_LEASE_SECONDS : LEASE_SECONDS})`;
	const checks = semaphore(MAX_CONCURRENT_CHECKS);

	ns.use(async (socket, next) => {
		const addr = socket.handshake.address;
		const refuse = (code: LinkRefusal['code'], why: string, message: string) => {
			logRefusal(addr, why);
			const err = new Error(message) as Error & { data?: LinkRefusal };
			err.data = { code };
			next(err);
		};
		// After a server restart every agent reconnects at once: a bounded number of identity checks run at a
		// time, so the database pool and the event loop are not swamped (the rest wait their turn).
		const done = await checks.acquire();
		try {
			const who = await identify(socket.request.socket as TLSSocket);
			if (!('agent' in who)) {
				const message = {
					'no-certificate': 'A client certificate issued by this Fleetdesk is required.',
					'unknown-agent': 'This agent is not enrolled here: enrol it again with a new join token.',
					revoked: 'This agent was revoked: enrol the host again with a new join token.',
					'already-connected': ''
				}[who.code];
				return refuse(who.code, who.why, message);
			}
			const a = who.agent;
			const connId = crypto.randomUUID();
			const [got] = await db
				.update(agents)
				.set({
					connectedNode: rt.nodeId,
					connectionId: connId,
					leaseUntil,
					lastSeenAt: new Date(),
					lastAddress: addr
				})
				.where(
					and(
						eq(agents.id, a.id),
						isNull(agents.revokedAt),
						or(isNull(agents.connectionId), lt(agents.leaseUntil, sql`now()`))
					)
				)
				.returning({ id: agents.id });
			if (!got)
				return refuse(
					'already-connected',
					`agent ${a.id} (${a.hostname}) already has a live connection (node ${a.connectedNode ?? '?'})`,
					'This agent already has a live connection: a second one with the same identity is refused.'
				);
			socket.data = { agentId: a.id, connId, hostname: a.hostname, deviceId: a.deviceId };
			next();
		} catch (e) {
			console.error('agent gateway: identity check failed:', e);
			next(new Error('The server could not check this agent.'));
		} finally {
			done();
		}
	});

	async function release(d: LinkData): Promise<void> {
		const [row] = await db
			.update(agents)
			.set({ connectionId: null, connectedNode: null, leaseUntil: null, lastSeenAt: new Date() })
			.where(and(eq(agents.id, d.agentId), eq(agents.connectionId, d.connId)))
			.returning();
		if (row)
			emitAgentStatus({
				agentId: d.agentId,
				deviceId: row.deviceId,
				online: false,
				revoked: !!row.revokedAt,
				lastSeenAt: row.lastSeenAt?.toISOString() ?? null
			});
	}

	ns.on('connection', (socket) =>
		handleLink(socket, {
			db,
			settings: { inventoryIntervalHours: rt.config.agent.inventoryIntervalHours },
			local,
			logRefusal,
			deliver,
			release,
			closing: () => closing
		})
	);

	function deliver(agentId: string): void {
		const s = local.get(agentId);
		if (s)
			void deliverQueued(db, agentId, s).catch((e) =>
				console.error(`agent gateway: delivering tasks to ${agentId} failed:`, (e as Error).message)
			);
	}
	function onLinkCommand(c: AgentLinkCommand): void {
		if (c.type === 'deliver') deliver(c.agentId);
		else disconnectLocal(c.agentId, c.reason);
	}

	function disconnectLocal(agentId: string, reason: string): void {
		const s = local.get(agentId);
		if (!s) return;
		console.log(`agent gateway: disconnecting agent ${agentId}: ${reason}`);
		s.emit('link:closing', { reason, code: 'revoked' });
		s.disconnect(true);
	}
	const bus = rt.database.pool ? listenAgentLinkCommands(rt.database.pool, onLinkCommand) : null;
	if (bus) await Promise.race([bus.ready, new Promise((r) => setTimeout(r, 5000))]);
	else setLocalAgentLink(onLinkCommand);

	const taskSweep = setInterval(
		() =>
			void sweepTasks(db).catch((e) =>
				console.error('agent gateway: task sweep failed:', (e as Error).message)
			),
		TASK_SWEEP_MS
	);
	taskSweep.unref();
	startInventoryWorker(rt, server); // reconciles stored inventories in batches; stops when `server` closes

	// Renew the leases of our live links (and last-seen) in one statement; a link whose lease another node
	// took over while we could not reach the database is closed.
	const renew = setInterval(
		async () => {
			const ids = [...local.values()].map((s) => s.data.connId);
			if (!ids.length || closing) return;
			const renewing = new Set(ids);
			try {
				const kept = new Set<string>();
				for (let i = 0; i < ids.length; i += 1000) {
					const rows = await db
						.update(agents)
						.set({ leaseUntil, lastSeenAt: new Date() })
						.where(inArray(agents.connectionId, ids.slice(i, i + 1000)))
						.returning({ connId: agents.connectionId });
					for (const r of rows) kept.add(r.connId!);
				}
				for (const s of local.values())
					if (renewing.has(s.data.connId) && !kept.has(s.data.connId)) {
						console.warn(`agent gateway: agent ${s.data.agentId} lost its lease; disconnecting`);
						s.disconnect(true);
					}
			} catch (e) {
				console.error('agent gateway: lease renewal failed:', (e as Error).message);
			}
		},
		single ? PGLITE_RENEW_MS : RENEW_MS
	);
	renew.unref();

	const certCheck = setInterval(async () => {
		try {
			const next = await gatewayCredentials(db, rt.config, rt.nodeId, hostnames);
			if (next.chain !== creds.chain) {
				creds = next;
				server.setSecureContext({ key: creds.key, cert: creds.chain, ca: [creds.ca] });
				console.log(`agent gateway: new certificate, valid until ${creds.notAfter.toISOString()}`);
			}
		} catch (e) {
			console.error('agent gateway: certificate check failed:', (e as Error).message);
		}
	}, CERT_CHECK_MS);
	certCheck.unref();

	const host = rt.config.host;
	try {
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, host, () => {
				server.off('error', reject);
				resolve();
			});
		});
	} catch (e) {
		clearInterval(renew);
		clearInterval(certCheck);
		clearInterval(taskSweep);
		bus?.close();
		setLocalAgentLink(undefined);
		io.close();
		const err = e as NodeJS.ErrnoException;
		if (err.code === 'EADDRINUSE' && !explicit) {
			console.error(
				`Agent gateway: port ${port} is in use, so agents cannot connect to this node. ` +
					'Set FLEETDESK_AGENT_PORT to a free port (or to off).'
			);
			return null;
		}
		throw new Error(
			`The agent gateway cannot listen on ${host}:${port} (FLEETDESK_AGENT_PORT): ${err.message}`
		);
	}
	console.log(
		`Agent gateway listening on https://${hostnames[0] ?? host}:${port} (certificate for ${hostnames.join(', ')})`
	);

	const gateway: AgentGateway = {
		port,
		namespace: ns,
		close: async () => {
			closing = true;
			clearInterval(renew);
			clearInterval(certCheck);
			clearInterval(taskSweep);
			bus?.close();
			setLocalAgentLink(undefined);
			if ((globalThis as G)[KEY] === gateway) (globalThis as G)[KEY] = undefined;
			for (const s of local.values())
				s.emit('link:closing', { reason: 'server shutting down', code: 'shutdown' });
			const closed = new Promise<void>((r) => io.close(() => r()));
			server.closeAllConnections();
			await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
			await db
				.update(agents)
				.set({ connectionId: null, connectedNode: null, leaseUntil: null, lastSeenAt: new Date() })
				.where(eq(agents.connectedNode, rt.nodeId))
				.catch(() => {});
		}
	};
	(globalThis as G)[KEY] = gateway;
	return gateway;
}
