// The access-log writer on its own (for B5's logging cost; the server has no switch that turns the access log
// off): FLOOD_BYTES of console output in 64 KiB records, as the agent link hands them over (one append per
// chunk, pipe id and agent sequence number), through appendAccessLog into a fresh database of the same kind,
// until everything is committed and the line index has caught up. Timed, with the CPU it took: this process
// (the writer, hashing, the driver; PGlite's engine too) and, on PostgreSQL, the backends serving it.
import { randomUUID } from 'node:crypto';
import { openDatabase, migrate } from '../../src/server/db/client';
import { seedAccess } from '../../src/server/access/seed';
import { consoles, devices } from '../../src/server/db/schema';
import {
	appendAccessLog,
	closeAccessLog,
	setAccessLogMasterKey,
	waitForLineIndex
} from '../../src/server/accesslog';
import { freshPostgres } from '../helpers/db';
import { backendsOf, cpuMs, FLOOD_BYTES } from './consoles-rig';

export interface WriterResult {
	ms: number;
	mibPerSecond: number;
	/** CPU time, ms: this process, and the PostgreSQL backends serving it. */
	processCpuMs: number;
	backendCpuMs: number;
}

const CHUNK = 64 * 1024;

export async function benchAccessLogWriter(kind: 'PostgreSQL' | 'PGlite'): Promise<WriterResult> {
	const pg = kind === 'PostgreSQL' ? await freshPostgres() : null;
	const database = await openDatabase({ databaseUrl: pg?.url, dataDir: 'memory://' });
	setAccessLogMasterKey(Buffer.from('fleetdesk-bench-consoles-writer-key-0001', 'utf8'));
	try {
		await migrate(database);
		await seedAccess(database.db);
		const [dev] = await database.db.insert(devices).values({ name: 'writer-bench' }).returning();
		const [con] = await database.db
			.insert(consoles)
			.values({ name: 'writer-bench:shell', deviceId: dev.id, kind: 'shell', target: { kind: 'shell' } })
			.returning();
		const line = Buffer.from('.'.repeat(79) + '\n');
		const block = Buffer.alloc(CHUNK);
		for (let i = 0; i < block.length; i += line.length) line.copy(block, i);
		const pipeId = randomUUID();
		const backends = pg ? await backendsOf(pg.url) : [];
		const cpu0 = process.cpuUsage();
		const b0 = cpuMs(backends);
		const t0 = performance.now();
		const all: Promise<void>[] = [];
		for (let seq = 1; seq * CHUNK <= FLOOD_BYTES; seq++)
			all.push(
				appendAccessLog(database.db, {
					consoleId: con.id,
					deviceId: dev.id,
					kind: 'output',
					at: new Date(),
					pipeId,
					agentSeq: seq,
					data: block
				})
			);
		await Promise.all(all);
		await waitForLineIndex(database.db);
		const ms = performance.now() - t0;
		const cpu = process.cpuUsage(cpu0);
		// Backends opened meanwhile started from nothing; those that closed meanwhile are not counted.
		const after = pg ? await backendsOf(pg.url) : [];
		const backendCpuMs = cpuMs([...new Set([...backends, ...after])]) - b0;
		return {
			ms,
			mibPerSecond: FLOOD_BYTES / 2 ** 20 / (ms / 1000),
			processCpuMs: (cpu.user + cpu.system) / 1000,
			backendCpuMs: Math.max(0, backendCpuMs)
		};
	} finally {
		await closeAccessLog(database.db);
		setAccessLogMasterKey(null);
		await database.close();
		await pg?.drop();
	}
}
