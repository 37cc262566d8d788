// What the CMDB integration specs share: who acts, a rejection's message, and one migrated, seeded test
// database per describe block.
import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../src/server/db/client';
import { openTestDb, type DbKind } from './db';

export const actor = { id: null, name: 'tester' };
/** A change made by `actor` as a user (not an import or an agent). */
export const user = { actor, source: 'user' as const };

/** The message `p` rejects with; throws when it resolves. */
export async function rejects(p: Promise<unknown>): Promise<string> {
	try {
		await p;
	} catch (e) {
		return (e as Error).message;
	}
	throw new Error('expected a rejection');
}

/**
 * Opens a test database of `kind` before the describe block's tests (handing it to `ready`, which may fill it)
 * and disposes of it after them.
 */
export function useTestDb(kind: DbKind, ready: (db: Db) => void | Promise<void>): void {
	let database: Awaited<ReturnType<typeof openTestDb>> | undefined;
	beforeAll(async () => {
		database = await openTestDb(kind);
		await ready(database.db);
	});
	afterAll(() => database?.dispose());
}
