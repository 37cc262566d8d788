// The agent gateway: its own TLS port. TLS asks every client for a certificate but lets the handshake
// finish without one (enrolment must work before an agent has a certificate); this layer then allows
// POST /enroll to anyone and everything else, including every Socket.IO connection, only to a client whose
// certificate chains to our CA and names an enrolled, non-revoked agent. See docs/agents.md.
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { Runtime } from '../runtime';
import { RateLimiter } from '../auth/rate-limit';
import { can } from '../auth/permissions';
import type { SocketData } from '../realtime/guard';
import {
	AGENT_NAMESPACE,
	FLEET_ROOM,
	MAX_AGENT_MESSAGE_BYTES,
	type AgentToServerEvents,
	type ServerToAgentEvents
} from '../../lib/protocol/agent';
import { PIPE_OUTPUT_WINDOW_BYTES } from '../../lib/protocol/consoles';
import { ensurePki, gatewayCredentials } from './pki';
import { handleLink } from './link';
import { handleGatewayRequest, refusalLogger, sendJson } from './gateway-http';
import { admitLinks, identifier } from './gateway-admission';
import { linkLeases } from './gateway-lease';
import { startCertificateCheck } from './gateway-cert';
import { listenAgentLinkCommands, setLocalAgentLink, type AgentLinkCommand } from './live';
import { deliverQueued, sweepTasks } from '../tasks/deliver';
// What each kind of report does (registered before the gateway takes reports).
import '../tasks/status';
import '../inventory/report-handler';
// Modules with their own link events (registered before the first link).
import '../consoles/link';
import '../logs/link';
import './renew';
import { startInventoryWorker } from '../inventory/worker';

const TASK_SWEEP_MS = 30_000;

export interface LinkData {
	agentId: string;
	connId: string;
	hostname: string;
	deviceId: number | null;
	/** SHA-256 fingerprint of the client certificate this link presented. */
	certFingerprint: string;
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
	const creds = await gatewayCredentials(db, rt.config, rt.nodeId, hostnames);
	const logRefusal = refusalLogger();
	const enrolLimiter = new RateLimiter(30, 60_000);
	const local = new Map<string, AgentSocket>();
	let closing = false;

	const leases = linkLeases(db, rt.dbKind, rt.nodeId);
	await leases.clearStale();

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

	const identify = identifier(db);

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

	admitLinks(ns, { identify, leases, logRefusal });

	ns.on('connection', (socket) =>
		handleLink(socket, {
			db,
			settings: {
				inventoryIntervalHours: rt.config.agent.inventoryIntervalHours,
				consoleOutputWindowBytes: PIPE_OUTPUT_WINDOW_BYTES
			},
			local,
			logRefusal,
			deliver,
			release: leases.release,
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
		else if (c.type === 'renew') local.get(c.agentId)?.emit('cert:renew-now');
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

	const renew = leases.startRenewal(local, () => closing);
	const certCheck = startCertificateCheck(server, rt, hostnames, creds);

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
			await leases.releaseAll();
		}
	};
	(globalThis as G)[KEY] = gateway;
	return gateway;
}
