// One agent's live link on the gateway: hello, heartbeats, reports (applied one at a time, in order, exactly
// once), unknown messages refused, and the disconnect. The gateway (gateway.ts) has checked the certificate
// and taken the lease before this runs.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents } from '../db/schema';
import {
	MAX_AGENT_MESSAGE_BYTES,
	heartbeatMessage,
	helloMessage,
	type AgentSettings,
	type AgentToServerEvents
} from '../../lib/protocol/agent';
import type { AgentSocket, LinkData } from './gateway';
import type { RefusalLog } from './gateway-http';
import { applyReport, isReportRefused } from './reports';
import { emitAgentStatus } from './registry';

/** Reports waiting to be applied on one link; an agent that floods past this is disconnected. */
const MAX_PENDING_REPORTS = 1000;
const CORE_EVENTS = ['hello', 'heartbeat', 'report'];

/**
 * A server module that handles its own link events (consoles: pipe output and state; logs: file reads).
 * It registers once at import time; `attach` runs for every new link, before the hello. Events not named
 * by the core or a module are refused as unknown.
 */
export interface LinkModule {
	name: string;
	events: readonly (keyof AgentToServerEvents)[];
	attach(socket: AgentSocket, deps: { db: Db }): void;
}

const MODULES_KEY = Symbol.for('fleetdesk.agentLinkModules');
type G = typeof globalThis & { [MODULES_KEY]?: Map<string, LinkModule> };
function linkModules(): Map<string, LinkModule> {
	return ((globalThis as G)[MODULES_KEY] ??= new Map());
}

export function registerLinkModule(m: LinkModule): void {
	linkModules().set(m.name, m);
}

function knownEvents(): Set<string> {
	return new Set([...CORE_EVENTS, ...[...linkModules().values()].flatMap((m) => m.events)]);
}

/** Each agent's socket joins this room; with several nodes the room spans them (PostgreSQL adapter). */
export function agentRoom(agentId: string): string {
	return `agent:${agentId}`;
}

export interface LinkDeps {
	db: Db;
	settings: AgentSettings;
	/** This node's live links by agent id. */
	local: Map<string, AgentSocket>;
	logRefusal: RefusalLog;
	/** Sends the agent's queued tasks. */
	deliver(agentId: string): void;
	/** Gives up the lease and announces the agent offline. */
	release(d: LinkData): Promise<void>;
	/** True while the gateway shuts down (the leases are released all at once). */
	closing(): boolean;
}

export function handleLink(socket: AgentSocket, deps: LinkDeps): void {
	const { db, local, logRefusal } = deps;
	// The HTTP upgrade request is not needed once the certificate was checked; thousands of links each keeping
	// theirs (headers, parsed URL) add up (Socket.IO's own advice for many connections).
	(socket.conn as unknown as { request: unknown }).request = null;
	const d = socket.data;
	const addr = socket.handshake.address;
	local.set(d.agentId, socket);
	void socket.join(agentRoom(d.agentId));
	console.log(`agent gateway: agent ${d.agentId} (${d.hostname}) connected from ${addr}`);
	emitAgentStatus({
		agentId: d.agentId,
		deviceId: d.deviceId,
		online: true,
		revoked: false,
		lastSeenAt: new Date().toISOString()
	});

	socket.on('hello', async (m, ack) => {
		if (typeof ack !== 'function') return;
		const p = helloMessage.safeParse(m);
		if (!p.success || p.data.agentId !== d.agentId) {
			logRefusal(addr, `agent ${d.agentId}: bad hello (${p.success ? 'names another agent' : 'malformed'})`);
			ack({ ok: false, error: 'This hello is malformed or names another agent.' });
			socket.disconnect(true);
			return;
		}
		try {
			const [row] = await db
				.update(agents)
				.set({ agentVersion: p.data.agentVersion, os: p.data.os, droppedReports: p.data.dropped })
				.where(eq(agents.id, d.agentId))
				.returning({ lastSeq: agents.lastSeq, renewAsked: agents.certRenewRequestedAt });
			ack({
				ok: true,
				lastSeq: row?.lastSeq ?? 0,
				serverTime: new Date().toISOString(),
				maxMessageBytes: MAX_AGENT_MESSAGE_BYTES,
				settings: deps.settings,
				...(row?.renewAsked ? { renewCertificate: true } : {})
			});
			deps.deliver(d.agentId);
		} catch (e) {
			console.error('agent gateway: hello failed:', e);
			ack({ ok: false, error: 'The server could not register this link; try again.' });
		}
	});

	// Last-seen is written by the lease renewal for all links at once; a heartbeat writes only news.
	let dropped = -1;
	socket.on('heartbeat', (m) => {
		const p = heartbeatMessage.safeParse(m);
		if (!p.success) return logRefusal(addr, `agent ${d.agentId}: malformed heartbeat`);
		if (p.data.dropped === dropped) return;
		dropped = p.data.dropped;
		void db
			.update(agents)
			.set({ droppedReports: p.data.dropped })
			.where(eq(agents.id, d.agentId))
			.catch((e) => console.error('agent gateway: heartbeat update failed:', e.message));
	});

	// Reports are applied one at a time, in the order they arrived.
	let chain = Promise.resolve();
	let pending = 0;
	socket.on('report', (r, ack) => {
		if (typeof ack !== 'function')
			return logRefusal(addr, `agent ${d.agentId}: report without acknowledgement`);
		if (++pending > MAX_PENDING_REPORTS) {
			logRefusal(addr, `agent ${d.agentId}: more than ${MAX_PENDING_REPORTS} reports waiting; disconnected`);
			socket.disconnect(true);
			return;
		}
		chain = chain.then(async () => {
			try {
				ack(await applyReport(db, d.agentId, r));
			} catch (e) {
				if (isReportRefused(e)) {
					logRefusal(addr, `agent ${d.agentId}: ${e.message}`);
					ack({ ok: false, error: e.message, retry: false });
				} else {
					console.error(`agent gateway: applying a report from ${d.agentId} failed:`, e);
					ack({
						ok: false,
						error: 'The server failed to apply this report; send it again later.',
						retry: true
					});
				}
			} finally {
				pending--;
			}
		});
	});

	for (const m of linkModules().values()) {
		try {
			m.attach(socket, { db });
		} catch (e) {
			console.error(`agent gateway: link module ${m.name} failed on ${d.agentId}:`, e);
		}
	}
	const known = knownEvents();
	socket.onAny((event: string, ...args: unknown[]) => {
		if (known.has(event)) return;
		logRefusal(addr, `agent ${d.agentId}: unknown message type "${String(event).slice(0, 60)}"`);
		const ack = args[args.length - 1];
		if (typeof ack === 'function')
			ack({ ok: false, error: `Unknown message type "${event}".`, retry: false });
	});

	socket.on('disconnect', (reason) => {
		if (local.get(d.agentId) === socket) local.delete(d.agentId);
		console.log(`agent gateway: agent ${d.agentId} (${d.hostname}) disconnected: ${reason}`);
		if (!deps.closing())
			void deps
				.release(d)
				.catch((e) => console.error('agent gateway: could not record a disconnect:', e.message));
	});
}
