// Credentials (ssh) and starting/stopping a console by hand. A credential is sealed with the master key and
// never returned: callers only learn whether one is set.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { consoles } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { can, loadDeviceRef, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import { runtime } from '../runtime';
import { closePipe, openPipe } from './pipes';
import { roomChanged } from './rooms';
import { sealCredential } from './vault';
import { logEvent } from './logging';

export const credentialInput = z.union([
	z.strictObject({
		id: z.number().int().positive(),
		password: z.string().min(1, 'Give the password').max(4096)
	}),
	z.strictObject({
		id: z.number().int().positive(),
		privateKey: z
			.string()
			.max(32 * 1024, 'A private key is at most 32 KiB')
			.regex(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, 'Paste the private key in PEM or OpenSSH form'),
		passphrase: z.string().max(4096).optional()
	})
]);

async function consoleRow(db: Db, id: number) {
	const [c] = await db.select().from(consoles).where(eq(consoles.id, id));
	if (!c) throw new UserError(`There is no console ${id}.`, 'NOT_FOUND');
	return c;
}

const RETRYING = new Set(['failed', 'retrying']);

export async function setCredential(
	db: Db,
	actor: Actor,
	input: z.output<typeof credentialInput>
): Promise<void> {
	const c = await consoleRow(db, input.id);
	if (c.kind !== 'ssh') throw new UserError('Only SSH consoles use a stored credential.');
	const { id, ...secret } = input;
	const sealed = sealCredential(runtime().config, id, secret);
	await db.update(consoles).set({ credential: sealed, updatedAt: new Date() }).where(eq(consoles.id, id));
	await audit(db, actor, {
		action: 'console.credential-set',
		targetType: 'console',
		targetId: id,
		targetName: c.name,
		after: { type: 'password' in input ? 'password' : 'private key' }
	});
	// A pipe failing to log in takes the new credential now; one that works keeps its session.
	if (c.pipeId && RETRYING.has(c.pipeState) && c.enabled && !c.stoppedAt)
		await openPipe(db, id, actor, c.pipeId);
}

export async function clearCredential(db: Db, actor: Actor, id: number): Promise<void> {
	const c = await consoleRow(db, id);
	await db.update(consoles).set({ credential: null, updatedAt: new Date() }).where(eq(consoles.id, id));
	await audit(db, actor, {
		action: 'console.credential-clear',
		targetType: 'console',
		targetId: id,
		targetName: c.name
	});
}

/** Starting and stopping need console.write on the device (or consoles.manage). */
async function mayRun(db: Db, p: Principal, deviceId: number): Promise<void> {
	if (can(p, 'consoles.manage') || can(p, 'console.write', await loadDeviceRef(db, deviceId))) return;
	throw new UserError(
		'You may not start or stop this console (no console.write grant on its device).',
		'FORBIDDEN'
	);
}

const userOf = (a: Actor) => (a.id ? { userId: a.id, username: a.name } : null);

const LIVE = new Set(['open', 'connecting', 'retrying']);

export async function startConsole(db: Db, p: Principal, actor: Actor, id: number): Promise<void> {
	const c = await consoleRow(db, id);
	await mayRun(db, p, c.deviceId);
	if (!c.enabled) throw new UserError('This console is disabled: enable it in its settings first.');
	if (c.stoppedAt)
		await db.update(consoles).set({ stoppedAt: null, stoppedBy: null }).where(eq(consoles.id, id));
	await audit(db, actor, {
		action: 'console.start',
		targetType: 'console',
		targetId: id,
		targetName: c.name
	});
	void logEvent(db, { consoleId: id, deviceId: c.deviceId }, userOf(actor), { event: 'start' });
	if (c.pipeId && LIVE.has(c.pipeState)) return roomChanged(db, id);
	// Agent offline: it opens when the agent connects (persistent) or when someone joins.
	if ((await openPipe(db, id, actor, c.pipeId)) !== 'opened') await roomChanged(db, id);
}

export async function stopConsole(db: Db, p: Principal, actor: Actor, id: number): Promise<void> {
	const c = await consoleRow(db, id);
	await mayRun(db, p, c.deviceId);
	await audit(db, actor, { action: 'console.stop', targetType: 'console', targetId: id, targetName: c.name });
	void logEvent(db, { consoleId: id, deviceId: c.deviceId }, userOf(actor), { event: 'stop' });
	await closePipe(db, id, actor, { message: `Stopped by ${actor.name}.`, stoppedBy: actor.name });
}
