import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { appRouter, createCaller } from '../../src/server/trpc/router';
import { openTestDb } from '../helpers/db';
import { createUser } from '../../src/server/access/users';
import { findRoleByName } from '../../src/server/access/roles';
import { loadPrincipal, can } from '../../src/server/auth/permissions';
import { ALL_ACTIONS, type Action } from '../../src/lib/protocol/permissions';
import { DESKTOP_EVENTS } from '../../src/lib/protocol/desktop';

type Proc = { _def: { meta?: { permission?: Action }; type: string } };
const procedures = Object.entries(
	(appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures
);

function call(caller: ReturnType<typeof createCaller>, path: string, input: unknown) {
	let fn: unknown = caller;
	for (const part of path.split('.')) fn = (fn as Record<string, unknown>)[part];
	return (fn as (i: unknown) => Promise<unknown>)(input);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
	try {
		await p;
		return 'OK';
	} catch (e) {
		return e instanceof TRPCError ? e.code : `unexpected ${String(e)}`;
	}
}

describe('every entry point declares and enforces a permission', () => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	beforeAll(async () => {
		database = await openTestDb('pglite');
	});
	afterAll(() => database.dispose());

	it('lists procedures (a router that lost them would make the rest pass vacuously)', () => {
		expect(procedures.length).toBeGreaterThan(25);
	});

	it.each(procedures)('%s declares a known permission', (_path, proc) => {
		expect(ALL_ACTIONS).toContain(proc._def.meta?.permission);
	});

	it.each(procedures)('%s refuses a caller without a session', async (path) => {
		const caller = createCaller({ db: database.db, user: null, sessionId: null, ip: '' });
		expect(await codeOf(call(caller, path, {}))).toBe('UNAUTHORIZED');
	});

	it.each(procedures)('%s refuses a Viewer unless a Viewer may do it', async (path, proc) => {
		const role = await findRoleByName(database.db, 'Viewer');
		const name = `viewer-${path.replace(/\W/g, '-')}`.slice(0, 60);
		const u = await createUser(
			database.db,
			{ id: null, name: 'test' },
			{ username: name, password: 'long-enough-password', roleIds: [role!.id] }
		);
		const viewer = await loadPrincipal(database.db, { id: u.id, username: u.username });
		const caller = createCaller({ db: database.db, user: viewer, sessionId: null, ip: '' });
		const code = await codeOf(call(caller, path, {}));
		if (can(viewer, proc._def.meta!.permission!)) expect(code).not.toBe('FORBIDDEN');
		else expect(code).toBe('FORBIDDEN');
	});

	it('every socket event on /desktop declares a known permission', () => {
		for (const [event, perm] of Object.entries(DESKTOP_EVENTS)) expect(ALL_ACTIONS, event).toContain(perm);
	});
});
