// The Fleet app's device list (fleet.devices): agents and OCS-only hosts in one list, with their groups,
// latest inventory, live state and whether the caller may start tasks on each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { dbKinds, openTestDb } from '../helpers/db';
import type { Db } from '../../src/server/db/client';
import { agents, inventories, ocsHosts } from '../../src/server/db/schema';
import { createDevice, createGroup, setMembership } from '../../src/server/access/groups';
import { setGrant } from '../../src/server/access/grants';
import { createRole, findRoleByName } from '../../src/server/access/roles';
import { createUser } from '../../src/server/access/users';
import { loadPrincipal, type Principal } from '../../src/server/auth/permissions';
import { listFleetDevices, type FleetDevice } from '../../src/server/trpc/routers/fleet';

const kinds = await dbKinds();
const actor = { id: null, name: 'test' };

describe.each(kinds)('fleet device list on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let operator: Principal;
	let admin: Principal;
	const ids = { web: crypto.randomUUID(), db: crypto.randomUUID(), old: crypto.randomUUID() };
	let byKey: Map<string, FleetDevice>;

	async function agent(
		id: string,
		hostname: string,
		deviceId: number,
		over: Partial<typeof agents.$inferInsert> = {}
	) {
		await db.insert(agents).values({
			id,
			hostname,
			deviceId,
			certSerial: id.slice(0, 8),
			certFingerprint: 'AA:BB',
			certNotAfter: new Date(Date.now() + 365 * 86_400_000),
			agentVersion: '0.1.0',
			os: { platform: 'linux', release: '6.1.0', arch: 'x64' },
			...over
		});
	}

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
		const web = await createGroup(db, actor, { name: 'web' });
		const dbs = await createGroup(db, actor, { name: 'databases' });
		const dWeb = await createDevice(db, actor, { name: 'web01' });
		const dDb = await createDevice(db, actor, { name: 'db01' });
		const dOld = await createDevice(db, actor, { name: 'old01' });
		const dOcs = await createDevice(db, actor, { name: 'desk-7' });
		await setMembership(db, actor, web.id, dWeb.id, true);
		await setMembership(db, actor, dbs.id, dDb.id, true);
		await setMembership(db, actor, web.id, dOld.id, true);
		await setMembership(db, actor, dbs.id, dOcs.id, true);

		// web01 holds a live lease (online); db01 was seen an hour ago; old01 was revoked.
		await agent(ids.web, 'web01', dWeb.id, {
			connectionId: 'c1',
			connectedNode: 'n1',
			leaseUntil: new Date(Date.now() + 30_000),
			lastSeenAt: new Date()
		});
		await agent(ids.db, 'db01', dDb.id, { lastSeenAt: new Date(Date.now() - 3600_000) });
		await agent(ids.old, 'old01', dOld.id, {
			revokedAt: new Date(),
			revokedBy: 'admin',
			connectionId: 'c2',
			leaseUntil: new Date(Date.now() + 30_000)
		});
		const invAt = new Date(Date.now() - 600_000);
		await db.insert(inventories).values({
			key: ids.db,
			source: 'agent',
			name: 'db01',
			deviceId: dDb.id,
			os: {
				platform: 'linux',
				name: 'Debian GNU/Linux',
				version: '12',
				codename: null,
				kernel: null,
				arch: 'x64'
			},
			receivedAt: invAt
		});
		await db.insert(ocsHosts).values({
			ocsDeviceId: 'desk-7-2026-01-31-09-15-02',
			deviceId: dOcs.id,
			hostname: 'desk-7',
			lastInventoryAt: invAt,
			remoteAddress: '10.0.0.7'
		});
		await db.insert(inventories).values({
			key: 'ocs:desk-7-2026-01-31-09-15-02',
			source: 'ocs',
			name: 'desk-7',
			deviceId: dOcs.id,
			os: {
				platform: 'win32',
				name: 'Microsoft Windows 10 Pro',
				version: null,
				codename: null,
				kernel: null,
				arch: null
			},
			receivedAt: invAt
		});

		// An operator who may run tasks on "web" only.
		const role = await createRole(db, actor, {
			name: 'Web ops',
			permissions: ['desktop.use', 'agents.read']
		});
		await setGrant(db, actor, { roleId: role.id, groupId: web.id, actions: ['tasks.run'] });
		const u = await createUser(db, actor, {
			username: 'webops',
			password: 'long-enough-password',
			roleIds: [role.id]
		});
		operator = await loadPrincipal(db, { id: u.id, username: u.username });
		const adminRole = (await findRoleByName(db, 'Administrator'))!;
		const a = await createUser(db, actor, {
			username: 'boss',
			password: 'long-enough-password',
			roleIds: [adminRole.id]
		});
		admin = await loadPrincipal(db, { id: a.id, username: a.username });

		byKey = new Map((await listFleetDevices(db, operator)).map((d) => [d.key, d]));
	});
	afterAll(() => database.dispose());

	it('lists every agent identity and every OCS-only host', () => {
		expect([...byKey.values()].map((d) => [d.name, d.source]).sort()).toEqual([
			['db01', 'agent'],
			['desk-7', 'ocs'],
			['old01', 'agent'],
			['web01', 'agent']
		]);
	});

	it('says which are online: a live lease, never a revoked agent', () => {
		expect(byKey.get(`agent:${ids.web}`)).toMatchObject({ online: true, revoked: false });
		expect(byKey.get(`agent:${ids.db}`)).toMatchObject({ online: false, revoked: false });
		expect(byKey.get(`agent:${ids.old}`)).toMatchObject({ online: false, revoked: true });
	});

	it('joins groups, the inventory OS and its time', () => {
		const d = byKey.get(`agent:${ids.db}`)!;
		expect(d.groups.map((g) => g.name)).toEqual(['databases']);
		expect(d.osName).toBe('Debian GNU/Linux 12');
		expect(d.lastInventoryAt).toBeInstanceOf(Date);
		const w = byKey.get(`agent:${ids.web}`)!;
		expect(w.osName).toBeNull();
		expect(w.os).toEqual({ platform: 'linux', release: '6.1.0', arch: 'x64' });
		expect(w.lastInventoryAt).toBeNull();
	});

	it('shows an OCS host as inventory-only: no agent, no tasks, ever', async () => {
		const ocs = [...byKey.values()].find((d) => d.source === 'ocs')!;
		expect(ocs).toMatchObject({
			agentId: null,
			online: false,
			canRunTasks: false,
			osName: 'Microsoft Windows 10 Pro',
			lastAddress: '10.0.0.7',
			groups: [expect.objectContaining({ name: 'databases' })]
		});
		const asAdmin = await listFleetDevices(db, admin);
		expect(asAdmin.find((d) => d.source === 'ocs')!.canRunTasks).toBe(false);
	});

	it('marks the devices the caller may run tasks on (grants by group; never a revoked agent)', async () => {
		expect(byKey.get(`agent:${ids.web}`)!.canRunTasks).toBe(true);
		expect(byKey.get(`agent:${ids.db}`)!.canRunTasks).toBe(false); // no grant on "databases"
		expect(byKey.get(`agent:${ids.old}`)!.canRunTasks).toBe(false); // granted, but revoked
		const asAdmin = new Map((await listFleetDevices(db, admin)).map((d) => [d.key, d.canRunTasks]));
		expect(asAdmin.get(`agent:${ids.db}`)).toBe(true);
		expect(asAdmin.get(`agent:${ids.old}`)).toBe(false);
	});
});
