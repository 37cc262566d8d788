// Who may hold a link: TLS lets the handshake finish without a client certificate (enrolment needs that), so
// every HTTP request and Socket.IO connection is checked here: a certificate chaining to our CA that names an
// enrolled, non-revoked agent, and a lease that no other live link holds.
import crypto from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents } from '../db/schema';
import type { LinkRefusal } from '../../lib/protocol/agent';
import { agentIdOf, semaphore, type RefusalLog } from './gateway-http';
import type { LinkLeases } from './gateway-lease';
import type { AgentNamespace } from './gateway';

/** Identity checks (two queries each) running at once while agents connect. */
const MAX_CONCURRENT_CHECKS = 32;

export type Identify = (
	tls: TLSSocket
) => Promise<{ agent: typeof agents.$inferSelect; fingerprint: string } | (LinkRefusal & { why: string })>;

/** The enrolled, non-revoked agent a verified client certificate belongs to, or why there is none. */
export function identifier(db: Db): Identify {
	return async (tls) => {
		if (!tls.authorized)
			return {
				code: 'no-certificate',
				why: `no client certificate from this Fleetdesk's CA (${tls.authorizationError ?? 'none presented'})`
			};
		const peer = tls.getPeerCertificate();
		const id = agentIdOf(peer);
		if (!id) return { code: 'unknown-agent', why: 'the client certificate names no agent' };
		const [a] = await db.select().from(agents).where(eq(agents.id, id));
		const fp = peer.fingerprint256;
		// The certificate a renewal replaced stays good until the agent first shows the new one.
		if (!a || (a.certFingerprint !== fp && a.prevCertFingerprint !== fp))
			return {
				code: 'unknown-agent',
				why: `agent ${id} is not enrolled here, or its certificate was replaced`
			};
		if (a.revokedAt) return { code: 'revoked', why: `agent ${id} (${a.hostname}) is revoked` };
		if (a.prevCertFingerprint && fp === a.certFingerprint)
			await db
				.update(agents)
				.set({ prevCertFingerprint: null })
				.where(and(eq(agents.id, id), eq(agents.certFingerprint, fp)));
		return { agent: a, fingerprint: fp };
	};
}

/** Lets into the agent namespace only an identified agent that takes its lease; says why to the rest. */
export function admitLinks(
	ns: AgentNamespace,
	deps: { identify: Identify; leases: LinkLeases; logRefusal: RefusalLog }
): void {
	const { identify, leases, logRefusal } = deps;
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
			if (!(await leases.claim(a.id, connId, addr)))
				return refuse(
					'already-connected',
					`agent ${a.id} (${a.hostname}) already has a live connection (node ${a.connectedNode ?? '?'})`,
					'This agent already has a live connection: a second one with the same identity is refused.'
				);
			socket.data = {
				agentId: a.id,
				connId,
				hostname: a.hostname,
				deviceId: a.deviceId,
				certFingerprint: who.fingerprint
			};
			next();
		} catch (e) {
			console.error('agent gateway: identity check failed:', e);
			next(new Error('The server could not check this agent.'));
		} finally {
			done();
		}
	});
}
