import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type DbKind = 'pglite' | 'postgres';

export interface Database {
	db: Db;
	kind: DbKind;
	/** The pg pool, when on PostgreSQL (the Socket.IO adapter needs it). */
	pool?: import('pg').Pool;
	ping(): Promise<void>;
	close(): Promise<void>;
}

/** Opens PostgreSQL when a URL is given, otherwise PGlite in `dataDir/db` (or in memory for 'memory://'). */
export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Promise<Database> {
	if (opts.databaseUrl) {
		const pg = (await import('pg')).default;
		const { drizzle } = await import('drizzle-orm/node-postgres');
		const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
		pool.on('error', (err) => console.error('PostgreSQL pool error:', err.message));
		// Clients checked out for long (the Socket.IO adapter's LISTEN connection) have no error listener of
		// their own; without this a database restart would crash the process instead of reconnecting.
		pool.on('connect', (client) =>
			client.on('error', (err) => console.error('PostgreSQL connection error:', err.message))
		);
		const db = drizzle(pool, { schema }) as unknown as Db;
		return {
			db,
			kind: 'postgres',
			pool,
			ping: async () => void (await pool.query('select 1')),
			close: () => pool.end()
		};
	}
	const { PGlite } = await import('@electric-sql/pglite');
	const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
	const { drizzle } = await import('drizzle-orm/pglite');
	let dir: string | undefined;
	if (opts.dataDir !== 'memory://') {
		dir = path.join(opts.dataDir, 'db');
		fs.mkdirSync(dir, { recursive: true });
	}
	const client = await PGlite.create(dir, { extensions: { pg_trgm } });
	const db = drizzle(client, { schema }) as unknown as Db;
	return {
		db,
		kind: 'pglite',
		ping: async () => void (await client.query('select 1')),
		close: () => client.close()
	};
}

/** Finds the committed migrations folder whether running from src/ or from the bundled build/. */
export function migrationsFolder(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 6; i++) {
		const candidate = path.join(dir, 'drizzle');
		if (fs.existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
		dir = path.dirname(dir);
	}
	const fromCwd = path.resolve('drizzle');
	if (fs.existsSync(path.join(fromCwd, 'meta', '_journal.json'))) return fromCwd;
	throw new Error('Cannot find the drizzle/ migrations folder next to the Fleetdesk installation.');
}

export async function migrate(database: Database): Promise<void> {
	const migrationsFolderPath = migrationsFolder();
	// The access-log search index (gin_trgm_ops) needs pg_trgm; a trusted extension, so the database owner may create it.
	await database.db.execute(sql`create extension if not exists pg_trgm`);
	if (database.kind === 'postgres') {
		const { migrate } = await import('drizzle-orm/node-postgres/migrator');
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		await migrate(database.db as any, { migrationsFolder: migrationsFolderPath });
	} else {
		const { migrate } = await import('drizzle-orm/pglite/migrator');
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		await migrate(database.db as any, { migrationsFolder: migrationsFolderPath });
	}
}

/** Runs raw SQL and returns its rows; both drivers (PGlite and node-postgres) answer with `{ rows }`. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
	const res = (await db.execute(query)) as unknown as { rows: T[] };
	return res.rows;
}
