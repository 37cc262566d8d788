import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import type { Db } from '../../src/server/db/client';
import { auditLog, sessions, users } from '../../src/server/db/schema';
import {
	checkLogin,
	createUser,
	deleteUser,
	MAX_FAILED_ATTEMPTS,
	setLocked,
	updateUser
} from '../../src/server/access/users';
import { findRoleByName } from '../../src/server/access/roles';
import { createDevice, createGroup, listGroups, setMembership } from '../../src/server/access/groups';
import { deleteGrant, listGrants, setGrant } from '../../src/server/access/grants';
import { can, loadDeviceRef, loadPrincipal } from '../../src/server/auth/permissions';
import { createSession, validateSessionToken } from '../../src/server/auth/sessions';
import { ensureFirstAdmin } from '../../src/server/access/seed';
import { listAudit } from '../../src/server/audit/audit';

const kinds = await dbKinds();
const actor = { id: null, name: 'test' };
const policy = { idleMs: 60 * 60_000, maxMs: 24 * 3600_000 };

describe.each(kinds)('access control on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	const roleId = async (name: string) => (await findRoleByName(db, name))!.id;

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
	});
	afterAll(() => database.dispose());

	it('creates the first administrator once, with the configured password', async () => {
		const first = await ensureFirstAdmin(db, 'first-admin-password');
		expect(first).toEqual({ created: true, generated: undefined });
		expect(await ensureFirstAdmin(db)).toEqual({ created: false });
		expect((await checkLogin(db, 'admin', 'first-admin-password')).ok).toBe(true);
		const admin = await loadPrincipal(db, { id: 1, username: 'admin' });
		expect(admin.roles.map((r) => r.name)).toEqual(['Administrator']);
	});

	it('rejects bad user input with a message naming the rule', async () => {
		await expect(createUser(db, actor, { username: 'x', password: 'long-enough-password' })).rejects.toThrow(
			/at least 2/
		);
		await expect(
			createUser(db, actor, { username: 'bad name', password: 'long-enough-password' })
		).rejects.toThrow(/letters, digits/);
		await expect(createUser(db, actor, { username: 'shortpw', password: 'short' })).rejects.toThrow(
			/at least 10/
		);
		await expect(
			createUser(db, actor, { username: 'admin', password: 'long-enough-password' })
		).rejects.toThrow(/already exists/);
	});

	it('applies the permission matrix: global actions by role, device actions by role × group', async () => {
		const lab = await createGroup(db, actor, { name: 'Lab' });
		const web1 = await createDevice(db, actor, { name: 'web1' });
		const db1 = await createDevice(db, actor, { name: 'db1' });
		await setMembership(db, actor, lab.id, web1.id, true);
		const labRole = (await import('../../src/server/access/roles')).createRole(db, actor, {
			name: 'Lab operator',
			permissions: ['desktop.use']
		});
		const lr = await labRole;
		await setGrant(db, actor, { roleId: lr.id, groupId: lab.id, actions: ['console.view', 'console.write'] });

		const mk = async (name: string, roles: number[]) => {
			const u = await createUser(db, actor, {
				username: name,
				password: 'long-enough-password',
				roleIds: roles
			});
			return loadPrincipal(db, { id: u.id, username: u.username });
		};
		const viewer = await mk('vera', [await roleId('Viewer')]);
		const operator = await mk('otto', [await roleId('Operator')]);
		const labOp = await mk('lars', [lr.id]);
		const nobody = await mk('nora', []);
		const admin = await loadPrincipal(db, { id: 1, username: 'admin' });
		const webRef = await loadDeviceRef(db, web1.id);
		const dbRef = await loadDeviceRef(db, db1.id);

		const matrix: [string, typeof viewer, Parameters<typeof can>[1], typeof webRef | undefined, boolean][] = [
			['admin manages users', admin, 'users.manage', undefined, true],
			['admin powers any device', admin, 'power', dbRef, true],
			['viewer uses the desktop', viewer, 'desktop.use', undefined, true],
			['viewer cannot manage users', viewer, 'users.manage', undefined, false],
			['viewer views consoles everywhere', viewer, 'console.view', dbRef, true],
			['viewer cannot type', viewer, 'console.write', webRef, false],
			['operator types everywhere', operator, 'console.write', dbRef, true],
			['operator cannot read the audit log', operator, 'audit.read', undefined, false],
			['lab operator types on a lab device', labOp, 'console.write', webRef, true],
			['lab operator cannot type outside the lab', labOp, 'console.write', dbRef, false],
			['lab operator cannot power lab devices', labOp, 'power', webRef, false],
			['user without roles can do nothing', nobody, 'desktop.use', undefined, false],
			['user without roles sees no console', nobody, 'console.view', webRef, false]
		];
		for (const [what, who, action, device, expected] of matrix) {
			expect(can(who, action, device), what).toBe(expected);
		}
		expect(can(null, 'desktop.use')).toBe(false);

		// a device in several groups; removing a grant takes the right away
		const second = await createGroup(db, actor, { name: 'Databases' });
		await setMembership(db, actor, second.id, web1.id, true);
		expect((await listGroups(db)).find((g) => g.id === second.id)!.deviceIds).toEqual([web1.id]);
		expect([...(await loadDeviceRef(db, web1.id)).groupIds].sort()).toEqual([lab.id, second.id].sort());
		const grant = (await listGrants(db)).find((g) => g.roleId === lr.id)!;
		await deleteGrant(db, actor, grant.id);
		const after = await loadPrincipal(db, { id: labOp.userId, username: 'lars' });
		expect(can(after, 'console.write', webRef)).toBe(false);
	});

	it('locks an account after repeated failures and answers the same for unknown users', async () => {
		await createUser(db, actor, { username: 'lockme', password: 'correct-password-1' });
		for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++)
			expect(await checkLogin(db, 'lockme', 'wrong')).toEqual({ ok: false });
		// now even the right password is refused, with the same answer as an unknown user
		expect(await checkLogin(db, 'lockme', 'correct-password-1')).toEqual({ ok: false });
		expect(await checkLogin(db, 'no-such-user', 'whatever')).toEqual({ ok: false });
		const [u] = await db.select().from(users).where(eq(users.username, 'lockme'));
		expect(u.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);
		// once the lock has run out, the right password works again
		await db
			.update(users)
			.set({ lockedUntil: new Date(Date.now() - 1000) })
			.where(eq(users.id, u.id));
		expect((await checkLogin(db, 'lockme', 'correct-password-1')).ok).toBe(true);
		const audit = await listAudit(db, { action: 'user.lockout', limit: 5 });
		expect(audit.map((a) => a.targetName)).toContain('lockme');
	});

	it('stores only the hash of the session secret and expires idle and old sessions', async () => {
		const u = await createUser(db, actor, { username: 'sess', password: 'long-enough-password' });
		const s = await createSession(db, u.id, policy);
		const [row] = await db.select().from(sessions).where(eq(sessions.id, s.id));
		expect(s.token.split('.')[1]).not.toBe(row.secretHash);
		expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
		expect((await validateSessionToken(db, s.token, policy))?.user.username).toBe('sess');
		expect(await validateSessionToken(db, `${s.id}.${'a'.repeat(32)}`, policy)).toBeNull();
		expect(await validateSessionToken(db, 'garbage', policy)).toBeNull();

		await db
			.update(sessions)
			.set({ lastSeenAt: new Date(Date.now() - policy.idleMs - 1000) })
			.where(eq(sessions.id, s.id));
		expect(await validateSessionToken(db, s.token, policy)).toBeNull();
		expect(await db.select().from(sessions).where(eq(sessions.id, s.id))).toHaveLength(0);

		const s2 = await createSession(db, u.id, policy);
		await db
			.update(sessions)
			.set({ expiresAt: new Date(Date.now() - 1) })
			.where(eq(sessions.id, s2.id));
		expect(await validateSessionToken(db, s2.token, policy)).toBeNull();
	});

	it('ends sessions when a user is locked or deleted, and audits every change', async () => {
		const u = await createUser(db, actor, { username: 'leaver', password: 'long-enough-password' });
		const s = await createSession(db, u.id, policy);
		await updateUser(db, { id: 1, name: 'admin' }, u.id, {
			displayName: 'Lea Ver',
			roleIds: [await roleId('Viewer')]
		});
		await setLocked(db, { id: 1, name: 'admin' }, u.id, true);
		expect(await validateSessionToken(db, s.token, policy)).toBeNull();
		expect((await checkLogin(db, 'leaver', 'long-enough-password')).ok).toBe(false);
		await setLocked(db, { id: 1, name: 'admin' }, u.id, false);
		expect((await checkLogin(db, 'leaver', 'long-enough-password')).ok).toBe(true);
		const s3 = await createSession(db, u.id, policy);
		await deleteUser(db, { id: 1, name: 'admin' }, u.id);
		expect(await validateSessionToken(db, s3.token, policy)).toBeNull();

		const entries = await db.select().from(auditLog).where(eq(auditLog.targetName, 'leaver'));
		const actions = entries.map((e) => e.action);
		expect(actions).toEqual(
			expect.arrayContaining(['user.create', 'user.update', 'user.lock', 'user.unlock', 'user.delete'])
		);
		const update = entries.find((e) => e.action === 'user.update')!;
		expect(update.actorName).toBe('admin');
		expect(update.before).toMatchObject({ displayName: '', roles: [] });
		expect(update.after).toMatchObject({ displayName: 'Lea Ver', roles: ['Viewer'] });
		expect(await listAudit(db, { actor: 'adm', action: 'user.', limit: 50 })).not.toHaveLength(0);
		await expect(setLocked(db, { id: 1, name: 'admin' }, 1, true)).rejects.toThrow(/your own account/);
	});
});
