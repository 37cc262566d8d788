// A live link is held under a lease in the database, renewed while it lasts; a dead node's lease runs out.
// Taking a lease is what makes a second link with the same identity fail, on any node.
import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db, DbKind } from '../db/client';
import { agents } from '../db/schema';
import { emitAgentStatus } from './registry';
import type { AgentSocket, LinkData } from './gateway';

const LEASE_SECONDS = 30;
const RENEW_MS = 10_000;
/**
 * PGlite is one process's own database: no other node can take a link over, and start-up clears every lease
 * a crash left behind. So the lease never runs out on its own there, and renewal only refreshes last-seen,
 * rarely (each renewal is an UPDATE of every link on the server's own thread).
 */
const PGLITE_LEASE_SECONDS = 10 * 365 * 24 * 3600;
const PGLITE_RENEW_MS = 5 * 60_000;

export interface LinkLeases {
	/** A crashed or restarted node leaves leases behind; they are ours, and nothing of ours is connected yet. */
	clearStale(): Promise<void>;
	/** Takes the agent's lease for a new link; false when another live link holds it (or it was revoked). */
	claim(agentId: string, connId: string, address: string): Promise<boolean>;
	/** Gives a closed link's lease back and tells the desktop the agent went offline. */
	release(d: LinkData): Promise<void>;
	/** Renews the leases of the live links in `local` until the timer returned is cleared. */
	startRenewal(local: Map<string, AgentSocket>, closing: () => boolean): NodeJS.Timeout;
	/** At shutdown: every lease this node holds (errors ignored: the leases run out anyway). */
	releaseAll(): Promise<void>;
}

export function linkLeases(db: Db, dbKind: DbKind, nodeId: string): LinkLeases {
	const single = dbKind === 'pglite';
	const leaseUntil = sql`now() + make_interval(secs => ${single ? PGLITE_LEASE_SECONDS : LEASE_SECONDS})`;
	return {
		async clearStale() {
			await db
				.update(agents)
				.set({ connectionId: null, connectedNode: null, leaseUntil: null })
				.where(single ? isNotNull(agents.connectionId) : eq(agents.connectedNode, nodeId));
		},

		async claim(agentId, connId, address) {
			const [got] = await db
				.update(agents)
				.set({
					connectedNode: nodeId,
					connectionId: connId,
					leaseUntil,
					lastSeenAt: new Date(),
					lastAddress: address
				})
				.where(
					and(
						eq(agents.id, agentId),
						isNull(agents.revokedAt),
						or(isNull(agents.connectionId), lt(agents.leaseUntil, sql`now()`))
					)
				)
				.returning({ id: agents.id });
			return !!got;
		},

		async release(d) {
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
		},

		// Renew the leases of our live links (and last-seen) in one statement; a link whose lease another node
		// took over while we could not reach the database is closed.
		startRenewal(local, closing) {
			const renew = setInterval(
				async () => {
					const ids = [...local.values()].map((s) => s.data.connId);
					if (!ids.length || closing()) return;
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
			return renew;
		},

		async releaseAll() {
			await db
				.update(agents)
				.set({ connectionId: null, connectedNode: null, leaseUntil: null, lastSeenAt: new Date() })
				.where(eq(agents.connectedNode, nodeId))
				.catch(() => {});
		}
	};
}
