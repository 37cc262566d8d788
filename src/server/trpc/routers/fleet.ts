// The Fleet app's device list in one call: every agent identity and every host known only through OCS
// Inventory, joined with its device, groups, latest inventory and whether the caller may start tasks on it.
import { asc, eq, sql } from 'drizzle-orm';
import { procedure, router } from '../trpc';
import type { Db } from '../../db/client';
import { agents, deviceGroupMembers, deviceGroups, devices, inventories, ocsHosts } from '../../db/schema';
import { can, type Principal } from '../../auth/permissions';
import { hasRuntime, runtime } from '../../runtime';
import { agentGateway } from '../../agents/gateway';

const onlineSql = sql<boolean>`(${agents.connectionId} is not null and ${agents.leaseUntil} > now() and ${agents.revokedAt} is null)`;

export interface FleetDevice {
	/**
	 * 'agent:<agent id>': one row per enrolled identity (a re-enrolled host is a new row);
	 * 'ocs:<ocs host id>': a host known only from OCS Inventory reports (no certificate, so no tasks).
	 */
	key: string;
	source: 'agent' | 'ocs';
	agentId: string | null;
	deviceId: number | null;
	name: string;
	hostname: string;
	ciId: number | null;
	/** What the agent said at enrolment / hello. */
	os: { platform: string; release: string; arch: string } | null;
	/** From the latest inventory, e.g. "Debian GNU/Linux 12". */
	osName: string | null;
	agentVersion: string;
	online: boolean;
	revoked: boolean;
	enrolledAt: Date | null;
	lastSeenAt: Date | null;
	lastInventoryAt: Date | null;
	lastAddress: string;
	groups: { id: number; name: string }[];
	/** The caller holds tasks.run on this device (the server checks again when a task starts). */
	canRunTasks: boolean;
}

async function groupsByDevice(db: Db): Promise<Map<number, { id: number; name: string }[]>> {
	const rows = await db
		.select({ deviceId: deviceGroupMembers.deviceId, id: deviceGroups.id, name: deviceGroups.name })
		.from(deviceGroupMembers)
		.innerJoin(deviceGroups, eq(deviceGroups.id, deviceGroupMembers.groupId))
		.orderBy(asc(deviceGroups.name));
	const map = new Map<number, { id: number; name: string }[]>();
	for (const r of rows) {
		const list = map.get(r.deviceId) ?? [];
		list.push({ id: r.id, name: r.name });
		map.set(r.deviceId, list);
	}
	return map;
}

function osName(os: { name: string; version: string | null } | null): string | null {
	return os ? [os.name, os.version].filter(Boolean).join(' ') || null : null;
}

function agentRows(db: Db) {
	return db
		.select({
			id: agents.id,
			hostname: agents.hostname,
			deviceId: agents.deviceId,
			deviceName: devices.name,
			ciId: agents.ciId,
			agentVersion: agents.agentVersion,
			os: agents.os,
			invOs: inventories.os,
			inventoryAt: inventories.receivedAt,
			enrolledAt: agents.enrolledAt,
			revokedAt: agents.revokedAt,
			lastSeenAt: agents.lastSeenAt,
			lastAddress: agents.lastAddress,
			online: onlineSql
		})
		.from(agents)
		.leftJoin(devices, eq(devices.id, agents.deviceId))
		.leftJoin(inventories, sql`${inventories.key} = ${agents.id}::text`)
		.orderBy(asc(agents.hostname), asc(agents.enrolledAt));
}

function ocsRows(db: Db) {
	return db
		.select({
			id: ocsHosts.id,
			hostname: ocsHosts.hostname,
			deviceId: ocsHosts.deviceId,
			deviceName: devices.name,
			ciId: inventories.ciId,
			invOs: inventories.os,
			firstSeenAt: ocsHosts.firstSeenAt,
			lastPrologAt: ocsHosts.lastPrologAt,
			lastInventoryAt: ocsHosts.lastInventoryAt,
			remoteAddress: ocsHosts.remoteAddress
		})
		.from(ocsHosts)
		.leftJoin(devices, eq(devices.id, ocsHosts.deviceId))
		.leftJoin(inventories, sql`${inventories.key} = 'ocs:' || ${ocsHosts.ocsDeviceId}`)
		.orderBy(asc(ocsHosts.hostname));
}

export async function listFleetDevices(db: Db, user: Principal): Promise<FleetDevice[]> {
	const [fromAgents, fromOcs, groups] = await Promise.all([agentRows(db), ocsRows(db), groupsByDevice(db)]);
	const groupsOf = (deviceId: number | null) => (deviceId === null ? [] : (groups.get(deviceId) ?? []));
	const list: FleetDevice[] = fromAgents.map((r) => {
		const g = groupsOf(r.deviceId);
		return {
			key: `agent:${r.id}`,
			source: 'agent',
			agentId: r.id,
			deviceId: r.deviceId,
			name: r.deviceName ?? r.hostname,
			hostname: r.hostname,
			ciId: r.ciId,
			os: r.os,
			osName: osName(r.invOs),
			agentVersion: r.agentVersion,
			online: !!r.online,
			revoked: r.revokedAt !== null,
			enrolledAt: r.enrolledAt,
			lastSeenAt: r.lastSeenAt,
			lastInventoryAt: r.inventoryAt,
			lastAddress: r.lastAddress,
			groups: g,
			canRunTasks:
				r.revokedAt === null &&
				r.deviceId !== null &&
				can(user, 'tasks.run', { id: r.deviceId, groupIds: g.map((x) => x.id) })
		};
	});
	for (const r of fromOcs) {
		const seen = [r.lastPrologAt, r.lastInventoryAt].filter((d): d is Date => d !== null);
		list.push({
			key: `ocs:${r.id}`,
			source: 'ocs',
			agentId: null,
			deviceId: r.deviceId,
			name: r.deviceName ?? r.hostname,
			hostname: r.hostname,
			ciId: r.ciId,
			os: null,
			osName: osName(r.invOs),
			agentVersion: '',
			online: false,
			revoked: false,
			enrolledAt: r.firstSeenAt,
			lastSeenAt: seen.length ? new Date(Math.max(...seen.map((d) => d.getTime()))) : null,
			lastInventoryAt: r.lastInventoryAt,
			lastAddress: r.remoteAddress,
			groups: groupsOf(r.deviceId),
			canRunTasks: false
		});
	}
	return list;
}

export const fleetRouter = router({
	devices: procedure('agents.read').query(({ ctx }) => listFleetDevices(ctx.db, ctx.user)),
	/** Where agents enrol: the enrol command shown with a new join token needs the port and names. */
	gateway: procedure('agents.read').query(() => {
		const config = hasRuntime() ? runtime().config.agent : null;
		const port = agentGateway()?.port ?? null;
		return { running: port !== null, port: port ?? config?.port ?? null, hostnames: config?.hostnames ?? [] };
	})
});
