// Listing consoles for the picker: search by console or device name, tag, device or device group; each row
// says what the caller may do on it. Users see the consoles they may view; managers (consoles.manage) see all.
import { and, asc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, consoles, deviceGroupMembers, deviceGroups, devices } from '../db/schema';
import { can, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import type { ConsoleRoomState, ConsoleTarget, PipeState } from '../../lib/protocol/consoles';
import { roomStatus } from './room-info';
import { rightsOn } from './access';

export interface ConsoleListInput {
	search?: string;
	deviceId?: number;
	groupId?: number;
	tag?: string;
	limit?: number;
}

export interface ConsoleRow {
	id: number;
	name: string;
	description: string;
	tags: string[];
	kind: ConsoleTarget['kind'];
	target: ConsoleTarget;
	deviceId: number;
	deviceName: string;
	/** The device groups the device is a member of (not the implicit "all devices" groups). */
	groups: { id: number; name: string }[];
	agentId: string | null;
	agentHostname: string | null;
	agentOnline: boolean;
	persistent: boolean;
	oneWriter: boolean;
	scrollbackBytes: number;
	enabled: boolean;
	state: ConsoleRoomState['state'];
	message: string | null;
	stoppedBy: string | null;
	/** ssh: whether a password or key is stored (it is never sent to a browser). */
	credential: 'set' | 'not set';
	hasCredential: boolean;
	/** What the caller may do: none (a manager who holds no console grant on the device), view or write. */
	mode: 'none' | 'view' | 'write';
	canBreak: boolean;
	/** logs.read on the device: may open the console's access log. */
	canReadLogs: boolean;
	updatedAt: Date;
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listConsoles(db: Db, p: Principal, input: ConsoleListInput): Promise<ConsoleRow[]> {
	const where: SQL[] = [];
	const q = input.search?.trim();
	if (q)
		where.push(
			or(
				ilike(consoles.name, like(q)),
				ilike(devices.name, like(q)),
				ilike(consoles.description, like(q)),
				sql`exists (select 1 from unnest(${consoles.tags}) t where t ilike ${like(q)})`
			)!
		);
	if (input.deviceId) where.push(eq(consoles.deviceId, input.deviceId));
	if (input.tag) where.push(sql`${input.tag} = any(${consoles.tags})`);
	if (input.groupId) {
		const [g] = await db.select().from(deviceGroups).where(eq(deviceGroups.id, input.groupId));
		if (!g) throw new UserError(`There is no device group ${input.groupId}.`, 'NOT_FOUND');
		if (!g.allDevices)
			where.push(
				sql`exists (select 1 from ${deviceGroupMembers} m where m.device_id = ${consoles.deviceId} and m.group_id = ${g.id})`
			);
	}
	return rowsFor(db, p, where.length ? and(...where) : undefined, Math.min(input.limit ?? 500, 2000));
}

/** One console as the list shows it; NOT_FOUND when it does not exist or the caller may not see it. */
export async function getConsole(db: Db, p: Principal, id: number): Promise<ConsoleRow> {
	const [row] = await rowsFor(db, p, eq(consoles.id, id), 1);
	if (!row) throw new UserError(`There is no console ${id}.`, 'NOT_FOUND');
	return row;
}

async function rowsFor(db: Db, p: Principal, where: SQL | undefined, limit: number): Promise<ConsoleRow[]> {
	const rows = await db
		.select({
			c: consoles,
			deviceName: devices.name,
			agentHostname: agents.hostname,
			agentOnline: sql<boolean>`${agents.connectionId} is not null and ${agents.revokedAt} is null`
		})
		.from(consoles)
		.innerJoin(devices, eq(devices.id, consoles.deviceId))
		.leftJoin(agents, eq(agents.id, consoles.agentId))
		.where(where)
		.orderBy(asc(consoles.name))
		.limit(limit);
	const deviceIds = [...new Set(rows.map((r) => r.c.deviceId))];
	const members = deviceIds.length
		? await db
				.select({
					deviceId: deviceGroupMembers.deviceId,
					groupId: deviceGroupMembers.groupId,
					name: deviceGroups.name
				})
				.from(deviceGroupMembers)
				.innerJoin(deviceGroups, eq(deviceGroups.id, deviceGroupMembers.groupId))
				.where(inArray(deviceGroupMembers.deviceId, deviceIds))
		: [];
	const manager = can(p, 'consoles.manage');
	const out: ConsoleRow[] = [];
	for (const { c, ...r } of rows) {
		const groups = members
			.filter((m) => m.deviceId === c.deviceId)
			.map((m) => ({ id: m.groupId, name: m.name }));
		const ref = { id: c.deviceId, groupIds: groups.map((g) => g.id) };
		const rights = rightsOn(p, ref);
		if (!rights.view && !manager) continue;
		const { state, message } = roomStatus({
			agentId: c.agentId,
			enabled: c.enabled,
			stopped: !!c.stoppedAt,
			agentOnline: !!r.agentOnline,
			pipeId: c.pipeId,
			pipeState: c.pipeState as PipeState | 'stopped',
			pipeMessage: c.pipeMessage
		});
		out.push({
			id: c.id,
			name: c.name,
			description: c.description,
			tags: c.tags,
			kind: c.kind,
			target: c.target,
			deviceId: c.deviceId,
			deviceName: r.deviceName,
			groups,
			agentId: c.agentId,
			agentHostname: r.agentHostname,
			agentOnline: !!r.agentOnline,
			persistent: c.persistent,
			oneWriter: c.oneWriter,
			scrollbackBytes: c.scrollbackBytes,
			enabled: c.enabled,
			state,
			message,
			stoppedBy: c.stoppedAt ? c.stoppedBy : null,
			credential: c.credential ? 'set' : 'not set',
			hasCredential: !!c.credential,
			mode: rights.view ? rights.mode : 'none',
			canBreak: rights.canBreak,
			canReadLogs: can(p, 'logs.read', ref),
			updatedAt: c.updatedAt
		});
	}
	return out;
}
