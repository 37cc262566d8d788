// Enrolled agents: list, look up, revoke. Online means: a node holds a live link whose lease has not run out.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, deviceGroupMembers, devices } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { hasRuntime, runtime } from '../runtime';
import { FLEET_ROOM, type AgentStatusEvent } from '../../lib/protocol/agent';
import { sendAgentLinkCommand } from './live';

export type AgentRow = typeof agents.$inferSelect;

const onlineSql = sql<boolean>`(${agents.connectionId} is not null and ${agents.leaseUntil} > now() and ${agents.revokedAt} is null)`;

export async function listAgents(db: Db) {
	const rows = await db
		.select({
			id: agents.id,
			hostname: agents.hostname,
			deviceId: agents.deviceId,
			deviceName: devices.name,
			ciId: agents.ciId,
			agentVersion: agents.agentVersion,
			os: agents.os,
			enrolledAt: agents.enrolledAt,
			revokedAt: agents.revokedAt,
			lastSeenAt: agents.lastSeenAt,
			lastAddress: agents.lastAddress,
			connectedNode: agents.connectedNode,
			certSerial: agents.certSerial,
			certNotAfter: agents.certNotAfter,
			droppedReports: agents.droppedReports,
			online: onlineSql
		})
		.from(agents)
		.leftJoin(devices, eq(devices.id, agents.deviceId))
		.orderBy(asc(agents.hostname), asc(agents.enrolledAt));
	const members = await db.select().from(deviceGroupMembers);
	return rows.map((r) => ({
		...r,
		online: !!r.online,
		connectedNode: r.online ? r.connectedNode : null,
		groupIds: members.filter((m) => m.deviceId === r.deviceId).map((m) => m.groupId)
	}));
}
export type AgentListRow = Awaited<ReturnType<typeof listAgents>>[number];

export async function getAgent(db: Db, id: string): Promise<AgentRow> {
	const [a] = /^[0-9a-f-]{36}$/i.test(id) ? await db.select().from(agents).where(eq(agents.id, id)) : [];
	if (!a) throw new UserError(`There is no agent ${id} (see \`fleetdesk agent list\`).`, 'NOT_FOUND');
	return a;
}

/** Tells desktops that may see agents (room 'fleet', joined with agents.read) about a state change. */
export function emitAgentStatus(ev: AgentStatusEvent): void {
	if (!hasRuntime()) return;
	runtime().io?.of('/desktop').to(FLEET_ROOM).emit('agent:status', ev);
}

/**
 * Revokes an agent: it is refused from now on, and the node holding its link disconnects it at once.
 * The device and its CI stay (history); re-enrolling the host makes a new identity.
 */
export async function revokeAgent(db: Db, actor: Actor, id: string): Promise<AgentRow> {
	const a = await getAgent(db, id);
	if (a.revokedAt) throw new UserError(`Agent ${id} (${a.hostname}) is already revoked.`, 'CONFLICT');
	const [row] = await db
		.update(agents)
		.set({ revokedAt: new Date(), revokedBy: actor.name })
		.where(and(eq(agents.id, id), isNull(agents.revokedAt)))
		.returning();
	if (!row) throw new UserError(`Agent ${id} (${a.hostname}) is already revoked.`, 'CONFLICT');
	await audit(db, actor, {
		action: 'agent.revoke',
		targetType: 'agent',
		targetId: id,
		targetName: a.hostname,
		before: { certSerial: a.certSerial, deviceId: a.deviceId }
	});
	await sendAgentLinkCommand({ type: 'disconnect', agentId: id, reason: `revoked by ${actor.name}` });
	emitAgentStatus({
		agentId: id,
		deviceId: row.deviceId,
		online: false,
		revoked: true,
		lastSeenAt: row.lastSeenAt?.toISOString() ?? null
	});
	return row;
}

/** Asks the agent for a new certificate now: marked in the database, and its node tells it if it is online. */
export async function requestCertRenewal(db: Db, actor: Actor, id: string): Promise<AgentRow> {
	const a = await getAgent(db, id);
	if (a.revokedAt)
		throw new UserError(`Agent ${id} (${a.hostname}) is revoked: enrol the host again.`, 'CONFLICT');
	const [row] = await db
		.update(agents)
		.set({ certRenewRequestedAt: new Date() })
		.where(and(eq(agents.id, id), isNull(agents.revokedAt)))
		.returning();
	if (!row) throw new UserError(`Agent ${id} (${a.hostname}) is revoked: enrol the host again.`, 'CONFLICT');
	await audit(db, actor, {
		action: 'agent.cert-renew-request',
		targetType: 'agent',
		targetId: id,
		targetName: a.hostname,
		before: { certSerial: a.certSerial, certNotAfter: a.certNotAfter.toISOString() }
	});
	await sendAgentLinkCommand({ type: 'renew', agentId: id });
	return row;
}
