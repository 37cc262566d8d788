import type { Config } from './env';
import { migrate, openDatabase } from './db/client';
import { acquireLock } from './datadir-lock';
import { ensureFirstAdmin, seedAccess } from './access/seed';
import { seedCmdb } from './cmdb/seed';
import { defaultNodeId, setRuntime, type Runtime } from './runtime';
import { fleetdeskVersion } from './version';
import { startMetrics } from './metrics';
import { closeAccessLog } from './accesslog';

export interface BootResult {
	runtime: Runtime;
	firstAdmin: { created: boolean; generated?: string };
	close(): Promise<void>;
}

/** Opens the database (locking the data dir for PGlite), applies migrations and seeds a new install. */
export async function boot(config: Config, opts: { install?: boolean } = {}): Promise<BootResult> {
	const release = config.databaseUrl ? () => {} : acquireLock(config.dataDir);
	try {
		const database = await openDatabase(config);
		await migrate(database);
		await seedAccess(database.db);
		await seedCmdb(database.db);
		const firstAdmin =
			opts.install === false ? { created: false } : await ensureFirstAdmin(database.db, config.adminPassword);
		const runtime: Runtime = {
			config,
			database,
			db: database.db,
			dbKind: database.kind,
			nodeId: defaultNodeId(config),
			version: fleetdeskVersion(),
			startedAt: new Date()
		};
		setRuntime(runtime);
		const metrics = startMetrics(runtime);
		return {
			runtime,
			firstAdmin,
			close: async () => {
				await metrics.stop();
				// Console output and input still queued for the access log are committed before the database closes.
				await closeAccessLog(database.db);
				setRuntime(undefined);
				await database.close();
				release();
			}
		};
	} catch (e) {
		release();
		throw e;
	}
}
