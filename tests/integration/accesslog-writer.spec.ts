// The access-log writer on PGlite and PostgreSQL: group commit keeps each console's call order, two writers
// (two app nodes) appending to one console interleave into one unbroken chain, output the agent resends is
// stored once, and the scrollback tail and stored sequence numbers read back what was written.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { dbKinds, freshPostgres, openTestDb } from '../helpers/db';
import { migrate, openDatabase, queryRows, type Database, type Db } from '../../src/server/db/client';
import { accessLogHeads, accessLogRecords } from '../../src/server/db/schema';
import {
	appendAccessLog,
	closeAccessLog,
	recentOutput,
	setAccessLogMasterKey,
	storedOutputSeq
} from '../../src/server/accesslog';
import { ZERO_HASH, headMac, recordHash, recordMac } from '../../src/server/accesslog/chain';
import { accessLogKey } from '../../src/server/accesslog/key';

const enc = new TextEncoder();
const text = (s: string) => enc.encode(s);

async function chain(db: Db, consoleId: number) {
	return db
		.select()
		.from(accessLogRecords)
		.where(eq(accessLogRecords.consoleId, consoleId))
		.orderBy(asc(accessLogRecords.seq));
}

/** Recomputes every link: seq from 1, prev_hash = previous hash, hash and MAC right, head at the end. */
async function expectIntact(db: Db, consoleId: number) {
	const rows = await chain(db, consoleId);
	const key = accessLogKey();
	let prev: Uint8Array = ZERO_HASH;
	rows.forEach((r, i) => {
		expect(r.seq).toBe(i + 1);
		expect(Buffer.compare(r.prevHash, prev)).toBe(0);
		expect(Buffer.compare(recordHash({ ...r, prevHash: r.prevHash }), r.hash)).toBe(0);
		expect(Buffer.compare(recordMac(key, r.hash), r.mac)).toBe(0);
		prev = r.hash;
	});
	const [h] = await db.select().from(accessLogHeads).where(eq(accessLogHeads.consoleId, consoleId));
	expect(h.lastSeq).toBe(rows.length);
	expect(Buffer.compare(h.lastHash, prev)).toBe(0);
	expect(Buffer.compare(headMac(key, h), h.mac)).toBe(0);
	return rows;
}

describe.each(await dbKinds())('access-log writer on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let second: { db: Db; close(): Promise<void> };
	let pgUrl: { url: string; drop(): Promise<void> } | null = null;

	beforeAll(async () => {
		setAccessLogMasterKey(Buffer.from('access log writer test key material, 32+ bytes'));
		if (kind === 'postgres') {
			// Two pools on one database: two app nodes.
			pgUrl = await freshPostgres();
			const a = await openDatabase({ databaseUrl: pgUrl.url, dataDir: 'memory://' });
			await migrate(a);
			const b: Database = await openDatabase({ databaseUrl: pgUrl.url, dataDir: 'memory://' });
			database = Object.assign(a, { dispose: async () => void (await a.close()) });
			second = { db: b.db, close: () => b.close() };
		} else {
			database = await openTestDb(kind);
			const { drizzle } = await import('drizzle-orm/pglite');
			const client = (database.db as unknown as { $client: import('@electric-sql/pglite').PGlite }).$client;
			second = { db: drizzle(client) as unknown as Db, close: async () => {} };
		}
		db = database.db;
	});
	afterAll(async () => {
		await closeAccessLog(db);
		await closeAccessLog(second.db);
		await second?.close();
		await database?.dispose();
		await pgUrl?.drop();
	});

	it('commits many appends in few transactions, in call order per console', async () => {
		const n = 300;
		const started = Date.now();
		const done: Promise<void>[] = [];
		for (let i = 0; i < n; i++) {
			for (const consoleId of [1, 2])
				done.push(
					appendAccessLog(db, {
						consoleId,
						deviceId: 10 + consoleId,
						kind: i % 10 === 0 ? 'input' : 'output',
						at: new Date(started + i),
						userId: i % 10 === 0 ? 7 : null,
						username: i % 10 === 0 ? 'alice' : null,
						data: text(`console ${consoleId} chunk ${i}\n`)
					})
				);
		}
		await Promise.all(done);
		for (const consoleId of [1, 2]) {
			const rows = await expectIntact(db, consoleId);
			expect(rows.map((r) => new TextDecoder().decode(r.data))).toEqual(
				Array.from({ length: n }, (_, i) => `console ${consoleId} chunk ${i}\n`)
			);
			expect(rows[10]).toMatchObject({
				kind: 'input',
				userId: 7,
				username: 'alice',
				deviceId: 10 + consoleId
			});
		}
		// Group commit: far fewer transactions than records (each transaction moves the head's xmin once).
		const [{ n: heads }] = await queryRows<{ n: number }>(
			db,
			sql`select count(distinct xmin::text)::int as n from access_log_records where console_id = 1`
		);
		expect(heads).toBeLessThan(n / 5);
	});

	it('two writers on one console interleave into one unbroken chain', async () => {
		const per = 200;
		const a: Promise<void>[] = [];
		const b: Promise<void>[] = [];
		for (let i = 0; i < per; i++) {
			a.push(
				appendAccessLog(db, {
					consoleId: 3,
					deviceId: 13,
					kind: 'output',
					at: new Date(),
					data: text(`A${i} `)
				})
			);
			b.push(
				appendAccessLog(second.db, {
					consoleId: 3,
					deviceId: 13,
					kind: 'output',
					at: new Date(),
					data: text(`B${i} `)
				})
			);
		}
		await Promise.all([...a, ...b]);
		const rows = await expectIntact(db, 3);
		expect(rows).toHaveLength(2 * per);
		const seen = rows.map((r) => new TextDecoder().decode(r.data));
		// Each writer's own records keep their order.
		expect(seen.filter((s) => s.startsWith('A'))).toEqual(Array.from({ length: per }, (_, i) => `A${i} `));
		expect(seen.filter((s) => s.startsWith('B'))).toEqual(Array.from({ length: per }, (_, i) => `B${i} `));
	});

	it('stores resent output once and answers the stored sequence and the scrollback tail', async () => {
		const pipeId = randomUUID();
		expect(await storedOutputSeq(db, pipeId)).toBe(0);
		const send = (seq: number) =>
			appendAccessLog(db, {
				consoleId: 4,
				deviceId: 14,
				kind: 'output',
				at: new Date(),
				pipeId,
				agentSeq: seq,
				data: text(`line ${seq}\r\n`)
			});
		await Promise.all([1, 2, 3, 4, 5].map(send));
		// After a reconnect the agent resends 3..6: only 6 is new.
		await Promise.all([3, 4, 5, 6].map(send));
		expect(await storedOutputSeq(db, pipeId)).toBe(6);
		const rows = await expectIntact(db, 4);
		expect(rows.map((r) => r.agentSeq)).toEqual([1, 2, 3, 4, 5, 6]);
		const tail = await recentOutput(db, 4, 10);
		expect(new TextDecoder().decode(tail.data)).toBe('line 6\r\n');
		expect(tail).toMatchObject({ lastId: 6, lastAgentSeq: 6 });
		const all = await recentOutput(db, 4, 1 << 20);
		expect(new TextDecoder().decode(all.data)).toBe([1, 2, 3, 4, 5, 6].map((s) => `line ${s}\r\n`).join(''));
	});

	it('refuses a malformed entry at once', async () => {
		await expect(
			appendAccessLog(db, { consoleId: 0, deviceId: null, kind: 'output', at: new Date(), data: text('x') })
		).rejects.toThrow(/console id/);
		await expect(
			appendAccessLog(db, {
				consoleId: 5,
				deviceId: null,
				kind: 'output',
				at: new Date(),
				data: new Uint8Array(2 * 1024 * 1024)
			})
		).rejects.toThrow(/at most/);
	});
});
