// Tamper evidence on PGlite and PostgreSQL: each way of changing the log behind the server's back (flip a
// byte, delete a record, swap two, cut the tail, rewrite records with recomputed hashes, hide a removal by
// renumbering, insert a record) is found at the exact record, by the domain call and by `fleetdesk log verify`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import { queryRows, type Db } from '../../src/server/db/client';
import { consoles, devices } from '../../src/server/db/schema';
import {
	appendAccessLog,
	closeAccessLog,
	setAccessLogMasterKey,
	verifyAccessLog
} from '../../src/server/accesslog';
import { recordHash } from '../../src/server/accesslog/chain';
import { runCommand } from '../../src/server/cli/commands';

const KEY = Buffer.from('access log tamper test key material, 32+ bytes');
const cli = { id: null, name: 'cli:test' };

describe.each(await dbKinds())('access-log tamper evidence on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let deviceId: number;
	let n = 0;

	/** A console with `count` records (output, input and an event), all committed. */
	async function filled(count = 20): Promise<{ id: number; name: string }> {
		const name = `tamper-${++n}`;
		const [c] = await db
			.insert(consoles)
			.values({ name, deviceId, kind: 'shell', target: { kind: 'shell' } })
			.returning();
		const t0 = Date.parse('2025-03-01T10:00:00Z');
		await Promise.all(
			Array.from({ length: count }, (_, i) =>
				appendAccessLog(db, {
					consoleId: c.id,
					deviceId,
					kind: i % 5 === 1 ? 'input' : i === 0 ? 'event' : 'output',
					at: new Date(t0 + i * 1000),
					userId: i % 5 === 1 ? 1 : null,
					username: i % 5 === 1 ? 'admin' : null,
					data: Buffer.from(i === 0 ? '{"event":"start"}' : `record ${i + 1}\r\n`)
				})
			)
		);
		return { id: c.id, name };
	}

	async function problem(consoleId: number) {
		const r = await verifyAccessLog(db, { consoleId });
		expect(r.consoles).toHaveLength(1);
		return r.consoles[0].problem ?? null;
	}

	const exec = (q: ReturnType<typeof sql>) => db.execute(q);

	beforeAll(async () => {
		setAccessLogMasterKey(KEY);
		database = await openTestDb(kind);
		db = database.db;
		[{ id: deviceId }] = await db.insert(devices).values({ name: 'tamper-host' }).returning();
	});
	afterAll(async () => {
		await closeAccessLog(db);
		await database?.dispose();
	});

	it('finds an intact chain intact, also through `fleetdesk log verify`', async () => {
		const c = await filled();
		expect(await problem(c.id)).toBeNull();
		const r = await runCommand(db, cli, ['log', 'verify', '--console', c.name], '');
		expect(r).toMatchObject({ code: 0 });
		expect(r.stdout).toMatch(new RegExp(`ok +${c.name}: 20 records \\(1–20\\)`));
	});

	it('finds a flipped byte at its record', async () => {
		const c = await filled();
		await exec(sql`update access_log_records set data = set_byte(data, 2, get_byte(data, 2) # 1)
			where console_id = ${c.id} and seq = 5`);
		expect(await problem(c.id)).toMatchObject({ kind: 'altered', seq: 5 });
		const r = await runCommand(db, cli, ['log', 'verify', '--console', c.name], '');
		expect(r.code).toBe(1);
		expect(r.stdout).toContain(`BROKEN   ${c.name}: record 5 altered.`);
	});

	it('finds a deleted record', async () => {
		const c = await filled();
		await exec(sql`delete from access_log_records where console_id = ${c.id} and seq = 7`);
		expect(await problem(c.id)).toMatchObject({ kind: 'removed', seq: 7 });
	});

	it('finds two records swapped', async () => {
		const c = await filled();
		await exec(sql`update access_log_records set seq = -4 where console_id = ${c.id} and seq = 4`);
		await exec(sql`update access_log_records set seq = 4 where console_id = ${c.id} and seq = 5`);
		await exec(sql`update access_log_records set seq = 5 where console_id = ${c.id} and seq = -4`);
		expect(await problem(c.id)).toMatchObject({ kind: 'reordered', seq: 4 });
	});

	it('finds the tail cut, with or without the head rewritten to match', async () => {
		const c = await filled();
		await exec(sql`delete from access_log_records where console_id = ${c.id} and seq > 15`);
		expect(await problem(c.id)).toMatchObject({ kind: 'truncated', seq: 16 });
		// Someone with database access but not the key moves the head back to record 15.
		await exec(sql`update access_log_heads h set last_seq = 15, last_hash = r.hash from access_log_records r
			where h.console_id = ${c.id} and r.console_id = ${c.id} and r.seq = 15`);
		expect(await problem(c.id)).toMatchObject({ kind: 'truncated', seq: 16 });
	});

	it('finds records rewritten with recomputed hashes (no key, so no MAC) at the first one', async () => {
		const c = await filled();
		const rows = await queryRows<Record<string, unknown>>(
			db,
			sql`select * from access_log_records where console_id = ${c.id} and seq >= 10 order by seq`
		);
		let prev: Buffer = Buffer.from(rows[0].prev_hash as Uint8Array);
		for (const r of rows) {
			const data = Buffer.from(`forged ${r.seq}\r\n`);
			const hash = recordHash({
				consoleId: c.id,
				seq: Number(r.seq),
				at: new Date(r.at as string),
				kind: r.kind as 'output',
				deviceId: r.device_id as number,
				userId: r.user_id as number | null,
				username: r.username as string | null,
				pipeId: null,
				agentSeq: null,
				data,
				prevHash: prev
			});
			await exec(sql`update access_log_records set data = ${data}, prev_hash = ${prev}, hash = ${hash}
				where console_id = ${c.id} and seq = ${Number(r.seq)}`);
			prev = hash;
		}
		await exec(sql`update access_log_heads set last_hash = ${prev} where console_id = ${c.id}`);
		expect(await problem(c.id)).toMatchObject({ kind: 'altered', seq: 10 });
	});

	it('finds a removal hidden by renumbering the records after it', async () => {
		const c = await filled();
		await exec(sql`delete from access_log_records where console_id = ${c.id} and seq = 6`);
		for (let s = 7; s <= 20; s++)
			await exec(sql`update access_log_records set seq = ${s - 1} where console_id = ${c.id} and seq = ${s}`);
		await exec(sql`update access_log_heads set last_seq = 19 where console_id = ${c.id}`);
		expect(await problem(c.id)).toMatchObject({ kind: 'removed', seq: 6 });
	});

	it('finds an inserted record', async () => {
		const c = await filled();
		for (let s = 20; s >= 8; s--)
			await exec(sql`update access_log_records set seq = ${s + 1} where console_id = ${c.id} and seq = ${s}`);
		await exec(sql`insert into access_log_records (console_id, seq, at, kind, data, prev_hash, hash, mac)
			select console_id, 8, at, 'input', ${Buffer.from('rm -rf /\r')}, hash, hash, mac
			from access_log_records where console_id = ${c.id} and seq = 7`);
		expect(await problem(c.id)).toMatchObject({ kind: 'inserted', seq: 8 });
	});

	it('finds every broken console when all are checked, and says when the key is not the one that wrote', async () => {
		const all = await verifyAccessLog(db);
		expect(all.ok).toBe(false);
		expect(all.consoles.filter((c) => !c.ok).map((c) => c.problem!.kind)).toEqual([
			'altered',
			'removed',
			'reordered',
			'truncated',
			'altered',
			'removed',
			'inserted'
		]);
		const r = await runCommand(db, cli, ['log', 'verify'], '');
		expect(r.code).toBe(1);
		expect(r.stdout).toContain('7 of 8 access logs are broken.');
		setAccessLogMasterKey(Buffer.from('some other key material, also 32+ bytes long'));
		try {
			const c = (await verifyAccessLog(db, { consoleId: 1 })).consoles[0];
			expect(c.problem).toMatchObject({ kind: 'key', seq: 1 });
		} finally {
			setAccessLogMasterKey(KEY);
		}
	});
});
