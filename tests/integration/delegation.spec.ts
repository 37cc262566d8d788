import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { dbKinds, openTestDb } from '../helpers/db';
import type { Db } from '../../src/server/db/client';
import { createCaller } from '../../src/server/trpc/router';
import { createUser } from '../../src/server/access/users';
import { createRole, findRoleByName } from '../../src/server/access/roles';
import { listGroups } from '../../src/server/access/groups';
import { loadPrincipal } from '../../src/server/auth/permissions';

const kinds = await dbKinds();
const system = { id: null, name: 'test' };

async function code(p: Promise<unknown>): Promise<string> {
	try {
		await p;
		return 'OK';
	} catch (e) {
		return e instanceof TRPCError ? `${e.code}: ${e.message}` : String(e);
	}
}

describe.each(kinds)('nobody hands out more than they hold, on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let caller: ReturnType<typeof createCaller>;
	let adminId: number;

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
		const admin = await createUser(db, system, {
			username: 'root-admin',
			password: 'long-enough-password',
			roleIds: [(await findRoleByName(db, 'Administrator'))!.id]
		});
		adminId = admin.id;
		await createRole(db, system, {
			name: 'User admins',
			permissions: ['desktop.use', 'users.manage', 'roles.manage', 'grants.manage']
		});
		const u = await createUser(db, system, {
			username: 'helpdesk',
			password: 'long-enough-password',
			roleIds: [(await findRoleByName(db, 'User admins'))!.id]
		});
		const principal = await loadPrincipal(db, { id: u.id, username: u.username });
		caller = createCaller({ db, user: principal, sessionId: null, ip: '' });
	});
	afterAll(() => database.dispose());

	it('may create users with roles within its own power', async () => {
		const viewer = (await findRoleByName(db, 'User admins'))!;
		expect(
			await code(
				caller.users.create({ username: 'new-one', password: 'long-enough-password', roleIds: [viewer.id] })
			)
		).toBe('OK');
	});

	it('may not hand out roles, permissions or grants it does not hold', async () => {
		const adminRole = (await findRoleByName(db, 'Administrator'))!;
		const operator = (await findRoleByName(db, 'Operator'))!;
		expect(
			await code(
				caller.users.create({ username: 'evil', password: 'long-enough-password', roleIds: [adminRole.id] })
			)
		).toMatch(/^FORBIDDEN: You can't give the role Administrator/);
		expect(await code(caller.roles.create({ name: 'Sneaky', permissions: ['*'] }))).toMatch(
			/^FORBIDDEN: .*full access/
		);
		expect(await code(caller.roles.create({ name: 'Sneaky', permissions: ['cmdb.model'] }))).toMatch(
			/^FORBIDDEN: .*cmdb\.model/
		);
		const [all] = (await listGroups(db)).filter((g) => g.allDevices);
		expect(
			await code(caller.grants.set({ roleId: operator.id, groupId: all.id, actions: ['power'] }))
		).toMatch(/^FORBIDDEN: You can't grant/);
	});

	it('may not take over a more powerful account', async () => {
		expect(await code(caller.users.resetPassword({ id: adminId, password: 'taken-over-now' }))).toMatch(
			/^FORBIDDEN/
		);
		expect(await code(caller.users.setLocked({ id: adminId, locked: true }))).toMatch(/^FORBIDDEN/);
		expect(await code(caller.users.delete({ id: adminId }))).toMatch(/^FORBIDDEN/);
	});
});
