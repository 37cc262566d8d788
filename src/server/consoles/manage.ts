// Creating, changing and deleting consoles (consoles.manage). Shell and serial consoles run on the device's
// own agent; ssh and telnet may name any agent that can reach the target. Every change is audited.
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { agents, consoles, devices } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { consoleName, consoleTargetSchema, type ConsoleTarget } from '../../lib/protocol/consoles';
import { closePipe, openPipe } from './pipes';
import { roomChanged } from './rooms';

export const consoleFields = z.object({
	name: consoleName,
	deviceId: z.number().int().positive('Choose a device'),
	/** ssh/telnet: the agent that connects; default (and for shell/serial always) the device's own agent. */
	agentId: z.uuid('That is not an agent id').nullish(),
	target: consoleTargetSchema,
	description: z.string().max(2000).default(''),
	tags: z.array(z.string().trim().min(1).max(60)).max(30).default([]),
	persistent: z.boolean().default(true),
	oneWriter: z.boolean().default(false),
	scrollbackBytes: z
		.number()
		.int()
		.min(4096, 'Keep at least 4 KiB of scrollback')
		.max(16 * 1024 * 1024, 'Scrollback is at most 16 MiB')
		.default(256 * 1024),
	enabled: z.boolean().default(true)
});
export type ConsoleFields = z.output<typeof consoleFields>;
export const consoleCreateInput = consoleFields;
export const consoleUpdateInput = consoleFields.partial().extend({ id: z.number().int().positive() });

/** The agent that will run a console of this kind for this device. */
async function agentFor(db: Db, deviceId: number, target: ConsoleTarget, named: string | null | undefined) {
	const [device] = await db.select({ id: devices.id }).from(devices).where(eq(devices.id, deviceId));
	if (!device) throw new UserError(`There is no device ${deviceId}.`, 'NOT_FOUND');
	const [own] = await db
		.select({ id: agents.id })
		.from(agents)
		.where(and(eq(agents.deviceId, deviceId), isNull(agents.revokedAt)))
		.orderBy(desc(agents.enrolledAt))
		.limit(1);
	const local = target.kind === 'shell' || target.kind === 'serial';
	if (local) {
		if (!own)
			throw new UserError(
				`A ${target.kind} console runs on the device's own agent, and this device has none: enrol one first.`
			);
		if (named && named !== own.id)
			throw new UserError(`A ${target.kind} console runs on the device's own agent; leave the agent empty.`);
		return own.id;
	}
	if (!named) {
		if (!own) throw new UserError('This device has no agent: choose the agent that can reach the target.');
		return own.id;
	}
	const [a] = await db
		.select({ id: agents.id, revokedAt: agents.revokedAt })
		.from(agents)
		.where(eq(agents.id, named));
	if (!a || a.revokedAt) throw new UserError('That agent does not exist or was revoked: choose another.');
	return a.id;
}

async function nameFree(db: Db, name: string, except?: number) {
	const [hit] = await db
		.select({ id: consoles.id })
		.from(consoles)
		.where(except ? and(eq(consoles.name, name), ne(consoles.id, except)) : eq(consoles.name, name));
	if (hit) throw new UserError(`A console named "${name}" exists already: choose another name.`, 'CONFLICT');
}

/** What the audit log keeps of a console (never the credential). */
function audited(c: typeof consoles.$inferSelect) {
	const {
		credential,
		pipeId,
		pipeState,
		pipeMessage,
		pipeStateAt,
		seqBase,
		writerId,
		createdAt,
		updatedAt,
		...rest
	} = c;
	void [pipeId, pipeState, pipeMessage, pipeStateAt, seqBase, writerId, createdAt, updatedAt];
	return { ...rest, credential: credential ? 'set' : 'not set' };
}

export async function createConsole(db: Db, actor: Actor, input: ConsoleFields): Promise<{ id: number }> {
	await nameFree(db, input.name);
	const agentId = await agentFor(db, input.deviceId, input.target, input.agentId);
	const [c] = await db
		.insert(consoles)
		.values({ ...input, agentId, kind: input.target.kind, createdBy: actor.id })
		.returning();
	await audit(db, actor, {
		action: 'console.create',
		targetType: 'console',
		targetId: c.id,
		targetName: c.name,
		after: audited(c)
	});
	if (c.enabled && c.persistent) await openPipe(db, c.id, actor, null);
	return { id: c.id };
}

export async function updateConsole(
	db: Db,
	actor: Actor,
	input: z.output<typeof consoleUpdateInput>
): Promise<{ id: number }> {
	const [before] = await db.select().from(consoles).where(eq(consoles.id, input.id));
	if (!before) throw new UserError(`There is no console ${input.id}.`, 'NOT_FOUND');
	const { id, ...patch } = input;
	if (patch.name !== undefined) await nameFree(db, patch.name, id);
	const target = patch.target ?? before.target;
	const deviceId = patch.deviceId ?? before.deviceId;
	const moved = patch.target !== undefined || patch.deviceId !== undefined || patch.agentId !== undefined;
	const agentId = moved
		? await agentFor(db, deviceId, target, patch.agentId === undefined ? before.agentId : patch.agentId)
		: before.agentId;
	const [after] = await db
		.update(consoles)
		.set({
			...patch,
			agentId,
			kind: target.kind,
			...(patch.oneWriter === false ? { writerId: null } : {}),
			updatedAt: new Date()
		})
		.where(eq(consoles.id, id))
		.returning();
	await audit(db, actor, {
		action: 'console.update',
		targetType: 'console',
		targetId: id,
		targetName: after.name,
		before: audited(before),
		after: audited(after)
	});
	const pipeChanged =
		moved &&
		(JSON.stringify(before.target) !== JSON.stringify(after.target) || before.agentId !== after.agentId);
	const live = after.pipeId && after.pipeState !== 'stopped';
	if (live && (pipeChanged || !after.enabled)) {
		// The running pipe goes to the old target (or the old agent): close it; the new one opens below.
		await closePipe(db, id, actor, {
			message: after.enabled ? 'Reopening with the new settings.' : 'Disabled.'
		});
	}
	await roomChanged(db, id);
	const [now] = await db.select().from(consoles).where(eq(consoles.id, id));
	if (now.enabled && !now.stoppedAt && now.persistent && (!now.pipeId || now.pipeState === 'stopped'))
		await openPipe(db, id, actor, now.pipeId);
	return { id };
}

export async function deleteConsole(db: Db, actor: Actor, id: number): Promise<void> {
	const [c] = await db.select().from(consoles).where(eq(consoles.id, id));
	if (!c) throw new UserError(`There is no console ${id}.`, 'NOT_FOUND');
	await closePipe(db, id, actor, { message: 'This console was deleted.' });
	await db.delete(consoles).where(eq(consoles.id, id));
	await audit(db, actor, {
		action: 'console.delete',
		targetType: 'console',
		targetId: id,
		targetName: c.name,
		before: audited(c)
	});
	await roomChanged(db, id);
}
