// The devices a user may read logs on, with what their agents said they can read.
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, deviceGroupMembers, devices, logAgents } from '../db/schema';
import { can, type Principal } from '../auth/permissions';
import type { LogDeviceView } from '../../lib/protocol/logs';

const onlineSql = sql<boolean>`(${agents.connectionId} is not null and ${agents.leaseUntil} > now())`;

export async function listLogDevices(db: Db, user: Principal): Promise<LogDeviceView[]> {
	const rows = await db
		.select({
			deviceId: devices.id,
			deviceName: devices.name,
			agentId: agents.id,
			online: onlineSql,
			allow: logAgents.allow,
			journal: logAgents.journal,
			reportedAt: logAgents.reportedAt
		})
		.from(devices)
		.leftJoin(agents, and(eq(agents.deviceId, devices.id), isNull(agents.revokedAt)))
		.leftJoin(logAgents, eq(logAgents.agentId, agents.id))
		.orderBy(asc(devices.name), desc(agents.enrolledAt));
	const members = await db.select().from(deviceGroupMembers);
	const groupsOf = new Map<number, number[]>();
	for (const m of members) groupsOf.set(m.deviceId, [...(groupsOf.get(m.deviceId) ?? []), m.groupId]);
	const seen = new Set<number>();
	const out: LogDeviceView[] = [];
	for (const r of rows) {
		// One row per device: its newest agent (rows are ordered so it comes first).
		if (seen.has(r.deviceId)) continue;
		seen.add(r.deviceId);
		if (!can(user, 'logs.read', { id: r.deviceId, groupIds: groupsOf.get(r.deviceId) ?? [] })) continue;
		out.push({
			deviceId: r.deviceId,
			deviceName: r.deviceName,
			agentId: r.agentId,
			online: !!r.online,
			allow: r.allow ?? [],
			journal: r.journal ?? false,
			reportedAt: r.reportedAt?.toISOString() ?? null
		});
	}
	return out;
}
