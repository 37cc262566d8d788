// Tasks that can no longer finish are ended by the sweep every node runs: never delivered before the envelope
// expired, or delivered and silent long past their own timeout. Tasks still in time are left alone.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds, openTestDb } from '../helpers/db';
import { agents, tasks } from '../../src/server/db/schema';
import { sweepTasks } from '../../src/server/tasks/deliver';

describe.each(await dbKinds())('the task sweep on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	const agentId = randomUUID();
	const minutes = (n: number) => new Date(Date.now() + n * 60_000);

	beforeAll(async () => {
		database = await openTestDb(kind);
		await database.db.insert(agents).values({
			id: agentId,
			hostname: 'swept',
			certSerial: '01',
			certFingerprint: 'AA',
			certNotAfter: minutes(60 * 24 * 365)
		});
	});
	afterAll(() => database?.dispose());

	const add = async (values: Partial<typeof tasks.$inferInsert>) => {
		const id = randomUUID();
		await database.db.insert(tasks).values({
			id,
			agentId,
			kind: 'exec',
			args: { command: 'sleep', args: ['1'], timeoutMs: 60_000 },
			signed: { envelope: {}, sig: '' },
			createdBy: 'test',
			expiresAt: minutes(5),
			...values
		});
		return id;
	};
	const state = async (id: string) => (await database.db.select().from(tasks).where(eq(tasks.id, id)))[0];

	it('ends undelivered expired tasks and silent ones, and nothing else', async () => {
		const waiting = await add({});
		const expired = await add({ expiresAt: minutes(-1) });
		const deliveredExpired = await add({ expiresAt: minutes(-1), deliveredAt: minutes(-2) });
		const runningInTime = await add({ state: 'running', startedAt: minutes(-5), deliveredAt: minutes(-5) });
		// 60 s timeout + 10 min grace: 12 minutes is too long
		const runningSilent = await add({ state: 'running', startedAt: minutes(-12), deliveredAt: minutes(-12) });
		const done = await add({ state: 'succeeded', expiresAt: minutes(-60), finishedAt: minutes(-50) });

		expect(await sweepTasks(database.db)).toBe(2);
		expect(await state(waiting)).toMatchObject({ state: 'queued' });
		expect(await state(expired)).toMatchObject({ state: 'timed-out', signed: null });
		expect((await state(expired)).error).toMatch(/not online to receive the task before it expired/);
		// delivered before it expired: the agent has it, and it still has time to report
		expect(await state(deliveredExpired)).toMatchObject({ state: 'queued' });
		expect(await state(runningInTime)).toMatchObject({ state: 'running' });
		expect(await state(runningSilent)).toMatchObject({ state: 'failed' });
		expect((await state(runningSilent)).error).toMatch(/stopped reporting/);
		expect(await state(done)).toMatchObject({ state: 'succeeded' });
		// idempotent: nothing more to do
		expect(await sweepTasks(database.db)).toBe(0);
	});
});
