import pg from 'pg';
import { migrate, openDatabase, type Database } from '../../src/server/db/client';
import { seedCmdb } from '../../src/server/cmdb/seed';
import { seedAccess } from '../../src/server/access/seed';

export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type DbKind = 'pglite' | 'postgres';

export async function postgresReachable(): Promise<boolean> {
	const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
	try {
		await c.connect();
		await c.query('select 1');
		return true;
	} catch {
		return false;
	} finally {
		await c.end().catch(() => {});
	}
}

/**
 * The database kinds to run the integration suite on. PostgreSQL is required in CI: a CI run without it
 * fails here rather than silently testing half the product.
 */
export async function dbKinds(): Promise<DbKind[]> {
	if (await postgresReachable()) return ['pglite', 'postgres'];
	if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL}; CI must test on it.`);
	console.warn(`PostgreSQL not reachable at ${PG_ADMIN_URL}: integration tests run on PGlite only.`);
	return ['pglite'];
}

/** Creates an empty PostgreSQL database for one test file; drop() removes it. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
	const name = `fleetdesk_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
	const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
	await admin.connect();
	await admin.query(`create database ${name}`);
	await admin.end();
	const url = new URL(PG_ADMIN_URL);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		drop: async () => {
			const c = new pg.Client({ connectionString: PG_ADMIN_URL });
			await c.connect();
			await c.query(`drop database if exists ${name} with (force)`);
			await c.end();
		}
	};
}

/** A migrated, seeded database of the given kind; PGlite runs in memory. */
export async function openTestDb(kind: DbKind): Promise<Database & { dispose(): Promise<void> }> {
	const pgdb = kind === 'postgres' ? await freshPostgres() : null;
	const database = await openDatabase({ databaseUrl: pgdb?.url, dataDir: 'memory://' });
	await migrate(database);
	await seedAccess(database.db);
	await seedCmdb(database.db);
	return Object.assign(database, {
		dispose: async () => {
			await database.close();
			await pgdb?.drop();
		}
	});
}
