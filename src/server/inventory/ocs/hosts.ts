// OCS-known hosts: one `ocs_hosts` row per DEVICEID, each with its own `devices` row in the OCS device group.
// They have no certificate and no link, so Fleetdesk can list and inventory them but never send them a task.
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { agents, deviceGroupMembers, deviceGroups, devices, ocsHosts } from '../../db/schema';
import { audit, type Actor } from '../../audit/audit';

export type OcsHost = typeof ocsHosts.$inferSelect;

/** The Device CI key (data.agentId) of an OCS host: never its host name or MAC, which OCS cannot vouch for. */
export const ocsKey = (ocsDeviceId: string) => `ocs:${ocsDeviceId}`;

export interface Contact {
	ip: string;
	userAgent: string;
}

function tx<T>(db: Db, fn: (t: Db) => Promise<T>): Promise<T> {
	return db.transaction(async (t) => fn(t as unknown as Db));
}

export async function findOcsHost(db: Db, ocsDeviceId: string): Promise<OcsHost | undefined> {
	const [h] = await db.select().from(ocsHosts).where(eq(ocsHosts.ocsDeviceId, ocsDeviceId));
	return h;
}

/** A PROLOG from a known host: remember when and from where. An unknown DEVICEID leaves no trace. */
export async function touchProlog(db: Db, id: number, contact: Contact): Promise<void> {
	await db
		.update(ocsHosts)
		.set({ lastPrologAt: new Date(), remoteAddress: contact.ip, userAgent: contact.userAgent.slice(0, 200) })
		.where(eq(ocsHosts.id, id));
}

export async function markInventoried(db: Db, id: number): Promise<void> {
	await db.update(ocsHosts).set({ lastInventoryAt: new Date() }).where(eq(ocsHosts.id, id));
}

/** Device names keep to what the Users & Access app accepts (letters, digits, . _ : -). */
function cleanName(v: string): string {
	return v
		.replace(/[^A-Za-z0-9._:-]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 100);
}

/** The host name, or its DEVICEID (unique by nature) when a device already has that name. */
async function freeDeviceName(t: Db, hostname: string, ocsDeviceId: string): Promise<string> {
	const candidates = [cleanName(hostname) || 'ocs-host', cleanName(ocsDeviceId)];
	for (let i = 0; ; i++) {
		const name = candidates[i] ?? `${candidates[1]}-${i}`;
		const [taken] = await t.select({ id: devices.id }).from(devices).where(eq(devices.name, name));
		if (!taken) return name;
	}
}

/** The OCS device group, created (and audited) on first use; several nodes racing create it once. */
async function ocsGroup(t: Db, name: string, actor: Actor) {
	const inserted = await t
		.insert(deviceGroups)
		.values({ name, description: 'Hosts that report through OCS Inventory (no Fleetdesk agent).' })
		.onConflictDoNothing()
		.returning();
	if (inserted[0])
		await audit(t, actor, {
			action: 'group.create',
			targetType: 'device-group',
			targetId: inserted[0].id,
			targetName: name,
			after: { name, reason: 'first OCS Inventory report' }
		});
	const [g] = await t.select().from(deviceGroups).where(eq(deviceGroups.name, name));
	return g;
}

/**
 * The host for an INVENTORY: found by DEVICEID, or created with its device (named after the host) in the OCS
 * group, in one transaction. A host whose device an operator deleted gets a new one.
 */
export async function ensureOcsHost(
	db: Db,
	input: { ocsDeviceId: string; hostname: string; tag: string | null; group: string },
	contact: Contact
): Promise<{ host: OcsHost; deviceName: string; created: boolean }> {
	return tx(db, async (t) => {
		// Serialises concurrent first reports of one DEVICEID (two agents runs, two nodes).
		await t.execute(sql`select pg_advisory_xact_lock(hashtext(${'ocs:' + input.ocsDeviceId}))`);
		const existing = await findOcsHost(t, input.ocsDeviceId);
		const seen = {
			hostname: input.hostname,
			tag: input.tag,
			remoteAddress: contact.ip,
			userAgent: contact.userAgent.slice(0, 200)
		};
		if (existing?.deviceId) {
			const [d] = await t
				.select({ name: devices.name })
				.from(devices)
				.where(eq(devices.id, existing.deviceId));
			const [host] = await t.update(ocsHosts).set(seen).where(eq(ocsHosts.id, existing.id)).returning();
			return { host, deviceName: d?.name ?? input.hostname, created: false };
		}
		const actor: Actor = { id: null, name: `ocs:${input.hostname}`, ip: contact.ip };
		const group = await ocsGroup(t, input.group, actor);
		const name = await freeDeviceName(t, input.hostname, input.ocsDeviceId);
		const [device] = await t
			.insert(devices)
			.values({ name, description: `Reports through OCS Inventory (DEVICEID ${input.ocsDeviceId})` })
			.returning();
		if (!group.allDevices)
			await t
				.insert(deviceGroupMembers)
				.values({ groupId: group.id, deviceId: device.id })
				.onConflictDoNothing();
		const [host] = existing
			? await t
					.update(ocsHosts)
					.set({ ...seen, deviceId: device.id })
					.where(eq(ocsHosts.id, existing.id))
					.returning()
			: await t
					.insert(ocsHosts)
					.values({ ocsDeviceId: input.ocsDeviceId, deviceId: device.id, ...seen })
					.returning();
		await audit(t, actor, {
			action: 'ocs.host-create',
			targetType: 'device',
			targetId: device.id,
			targetName: name,
			after: { ocsDeviceId: input.ocsDeviceId, hostname: input.hostname, group: group.name, ip: contact.ip }
		});
		return { host, deviceName: name, created: true };
	});
}

export interface OcsHostView {
	id: number;
	ocsDeviceId: string;
	/** The Device CI's agentId. */
	key: string;
	deviceId: number | null;
	deviceName: string | null;
	hostname: string;
	tag: string | null;
	firstSeenAt: Date;
	lastPrologAt: Date | null;
	lastInventoryAt: Date | null;
	remoteAddress: string;
	userAgent: string;
	/** Always false today: an OCS host has no certificate, so no task can be addressed to it. */
	canReceiveTasks: false;
	/** The same device also has an enrolled Fleetdesk agent (only if an operator linked them by hand). */
	hasAgent: boolean;
}

/** Every OCS-known host, for the Fleet app: a device listed here without an agent is OCS-only. */
export async function listOcsHosts(db: Db, deviceIds?: number[]): Promise<OcsHostView[]> {
	const q = db
		.select({ h: ocsHosts, deviceName: devices.name })
		.from(ocsHosts)
		.leftJoin(devices, eq(devices.id, ocsHosts.deviceId))
		.orderBy(asc(ocsHosts.hostname), asc(ocsHosts.id));
	const rows = deviceIds
		? await q.where(inArray(ocsHosts.deviceId, deviceIds.length ? deviceIds : [-1]))
		: await q;
	const ids = rows.map((r) => r.h.deviceId).filter((x): x is number => x !== null);
	const withAgent = new Set(
		ids.length
			? (await db.select({ d: agents.deviceId }).from(agents).where(inArray(agents.deviceId, ids))).map(
					(r) => r.d
				)
			: []
	);
	return rows.map(({ h, deviceName }) => ({
		id: h.id,
		ocsDeviceId: h.ocsDeviceId,
		key: ocsKey(h.ocsDeviceId),
		deviceId: h.deviceId,
		deviceName,
		hostname: h.hostname,
		tag: h.tag,
		firstSeenAt: h.firstSeenAt,
		lastPrologAt: h.lastPrologAt,
		lastInventoryAt: h.lastInventoryAt,
		remoteAddress: h.remoteAddress,
		userAgent: h.userAgent,
		canReceiveTasks: false,
		hasAgent: h.deviceId !== null && withAgent.has(h.deviceId)
	}));
}
