import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { deviceGroupMembers, deviceGroups, devices } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { live } from './live';

export const groupInput = z.object({
	name: z.string().trim().min(2, 'Group name must be at least 2 characters').max(64),
	description: z.string().trim().max(500).default('')
});

export const deviceInput = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Device name is required')
		.max(128)
		.regex(
			/^[A-Za-z0-9._:-]+$/,
			'Device name may contain only letters, digits, dot, dash, colon and underscore'
		),
	description: z.string().trim().max(500).default('')
});

export async function listGroups(db: Db) {
	const groups = await db.select().from(deviceGroups).orderBy(asc(deviceGroups.name));
	const members = await db.select().from(deviceGroupMembers);
	return groups.map((g) => ({
		...g,
		deviceIds: members.filter((m) => m.groupId === g.id).map((m) => m.deviceId)
	}));
}

export async function listDevices(db: Db) {
	const rows = await db.select().from(devices).orderBy(asc(devices.name));
	const members = await db.select().from(deviceGroupMembers);
	return rows.map((d) => ({
		...d,
		groupIds: members.filter((m) => m.deviceId === d.id).map((m) => m.groupId)
	}));
}

async function getGroup(db: Db, id: number) {
	const [g] = await db.select().from(deviceGroups).where(eq(deviceGroups.id, id));
	if (!g) throw new UserError(`There is no device group with id ${id}.`, 'NOT_FOUND');
	return g;
}

async function getDevice(db: Db, id: number) {
	const [d] = await db.select().from(devices).where(eq(devices.id, id));
	if (!d) throw new UserError(`There is no device with id ${id}.`, 'NOT_FOUND');
	return d;
}

export async function createGroup(db: Db, actor: Actor, input: z.input<typeof groupInput>) {
	const data = groupInput.parse(input);
	const [clash] = await db.select().from(deviceGroups).where(eq(deviceGroups.name, data.name));
	if (clash) throw new UserError(`A device group named "${data.name}" already exists.`, 'CONFLICT');
	const [g] = await db.insert(deviceGroups).values(data).returning();
	await audit(db, actor, {
		action: 'group.create',
		targetType: 'device-group',
		targetId: g.id,
		targetName: g.name,
		after: data
	});
	return g;
}

export async function updateGroup(db: Db, actor: Actor, id: number, input: z.input<typeof groupInput>) {
	const data = groupInput.parse(input);
	const before = await getGroup(db, id);
	const [clash] = await db.select().from(deviceGroups).where(eq(deviceGroups.name, data.name));
	if (clash && clash.id !== id)
		throw new UserError(`A device group named "${data.name}" already exists.`, 'CONFLICT');
	await db.update(deviceGroups).set(data).where(eq(deviceGroups.id, id));
	await audit(db, actor, {
		action: 'group.update',
		targetType: 'device-group',
		targetId: id,
		targetName: data.name,
		before: { name: before.name, description: before.description },
		after: data
	});
}

export async function deleteGroup(db: Db, actor: Actor, id: number) {
	const before = await getGroup(db, id);
	if (before.allDevices)
		throw new UserError(`"${before.name}" holds every device and cannot be deleted.`, 'FORBIDDEN');
	await db.delete(deviceGroups).where(eq(deviceGroups.id, id));
	await audit(db, actor, {
		action: 'group.delete',
		targetType: 'device-group',
		targetId: id,
		targetName: before.name,
		before: { name: before.name, description: before.description }
	});
	live().accessChanged();
}

export async function setMembership(
	db: Db,
	actor: Actor,
	groupId: number,
	deviceId: number,
	member: boolean
) {
	const g = await getGroup(db, groupId);
	const d = await getDevice(db, deviceId);
	if (g.allDevices)
		throw new UserError(`"${g.name}" holds every device; its members cannot be changed.`, 'BAD_REQUEST');
	const where = and(eq(deviceGroupMembers.groupId, groupId), eq(deviceGroupMembers.deviceId, deviceId));
	if (member) await db.insert(deviceGroupMembers).values({ groupId, deviceId }).onConflictDoNothing();
	else await db.delete(deviceGroupMembers).where(where);
	await audit(db, actor, {
		action: member ? 'group.add-device' : 'group.remove-device',
		targetType: 'device-group',
		targetId: groupId,
		targetName: g.name,
		after: { device: d.name }
	});
	live().accessChanged();
}

export async function createDevice(db: Db, actor: Actor, input: z.input<typeof deviceInput>) {
	const data = deviceInput.parse(input);
	const [clash] = await db.select().from(devices).where(eq(devices.name, data.name));
	if (clash) throw new UserError(`A device named "${data.name}" already exists.`, 'CONFLICT');
	const [d] = await db.insert(devices).values(data).returning();
	await audit(db, actor, {
		action: 'device.create',
		targetType: 'device',
		targetId: d.id,
		targetName: d.name,
		after: data
	});
	return d;
}

export async function deleteDevice(db: Db, actor: Actor, id: number) {
	const d = await getDevice(db, id);
	await db.delete(devices).where(eq(devices.id, id));
	await audit(db, actor, {
		action: 'device.delete',
		targetType: 'device',
		targetId: id,
		targetName: d.name,
		before: { name: d.name }
	});
	live().accessChanged();
}
