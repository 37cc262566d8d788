// The writer's hot path talks to the driver directly: building a statement with thousands of parameters
// through Drizzle's SQL builder costs more than PostgreSQL takes to run it.
import type { Db } from '../db/client';

export type Query = <T>(text: string, params?: unknown[]) => Promise<T[]>;

interface PoolLike {
	connect(): Promise<{
		query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
		release(err?: Error | boolean): void;
	}>;
	totalCount: number;
}
interface PgliteLike {
	transaction<T>(
		fn: (tx: { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> }) => Promise<T>
	): Promise<T>;
}

function client(db: Db): PoolLike | PgliteLike {
	return (db as unknown as { $client: PoolLike | PgliteLike }).$client;
}

/** Runs `fn` in one transaction on the database's own driver (node-postgres pool or PGlite). */
export async function rawTransaction<T>(db: Db, fn: (q: Query) => Promise<T>): Promise<T> {
	const c = client(db);
	if ('totalCount' in c) {
		const conn = await c.connect();
		const q: Query = async <R>(text: string, params?: unknown[]) =>
			(await conn.query(text, params)).rows as R[];
		try {
			await conn.query('begin');
			const out = await fn(q);
			await conn.query('commit');
			conn.release();
			return out;
		} catch (e) {
			// A connection whose rollback fails is broken: drop it from the pool.
			await conn.query('rollback').then(
				() => conn.release(),
				(err: Error) => conn.release(err)
			);
			throw e;
		}
	}
	return c.transaction((tx) =>
		fn(async <R>(text: string, params?: unknown[]) => (await tx.query(text, params)).rows as R[])
	);
}

/** One statement on the driver directly (array parameters stay one parameter). */
export async function rawQuery<T>(db: Db, text: string, params?: unknown[]): Promise<T[]> {
	const c = client(db) as unknown as {
		query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
	};
	return (await c.query(text, params)).rows as T[];
}

/** "($1, $2, …), ($n, …)" for `rows` rows of `width` parameters, numbered from `from` + 1. */
export function placeholders(rows: number, width: number, from = 0, casts?: string[]): string {
	const out: string[] = [];
	let n = from;
	for (let r = 0; r < rows; r++) {
		const cols: string[] = [];
		for (let c = 0; c < width; c++) cols.push(`$${++n}${casts?.[c] ?? ''}`);
		out.push(`(${cols.join(', ')})`);
	}
	return out.join(', ');
}
