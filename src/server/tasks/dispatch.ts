// Starting tasks: check the user's grant on each device, sign one envelope per device's agent, record it
// (queued), and tell whichever node holds the agent's link to deliver it. A task for an offline agent stays
// queued until the agent comes back or the envelope expires.
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, devices, tasks } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { can, loadDeviceRef, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import { runtime } from '../runtime';
import { taskSigningKey } from '../agents/pki';
import { sendAgentLinkCommand } from '../agents/live';
import { signTask } from './sign';
import { emitTaskUpdate } from './events';
import {
	isKnownTaskKind,
	TASK_DEFAULT_LIFETIME_MS,
	type KnownTaskKind,
	type TaskArgsInputByKind
} from '../../lib/protocol/tasks';

export interface StartTasksInput {
	deviceIds: number[];
	kind: KnownTaskKind;
	args: unknown;
	/** How long the task may wait for an offline agent; default 5 minutes. */
	lifetimeMs?: number;
}

export interface StartTasksResult {
	started: { deviceId: number; taskId: string }[];
	skipped: { deviceId: number; deviceName: string | null; reason: string }[];
}

/**
 * Starts one task per device. A device the user holds no `tasks.run` grant for, or that has no agent able to
 * receive tasks (never enrolled, revoked, or known only through OCS), is skipped with the reason.
 */
export async function startTasks(
	db: Db,
	principal: Principal,
	actor: Actor,
	input: StartTasksInput
): Promise<StartTasksResult> {
	if (!isKnownTaskKind(input.kind))
		throw new UserError(`"${String(input.kind)}" is not a kind of task; use inventory, show or exec.`);
	const ids = [...new Set(input.deviceIds)];
	if (!ids.length) throw new UserError('Choose at least one device.');
	if (ids.length > 1000) throw new UserError('Start tasks on at most 1,000 devices at a time.');

	const rows = await db
		.select({ id: devices.id, name: devices.name })
		.from(devices)
		.where(inArray(devices.id, ids));
	const names = new Map(rows.map((r) => [r.id, r.name]));
	const live = await db
		.select({ id: agents.id, deviceId: agents.deviceId, hostname: agents.hostname })
		.from(agents)
		.where(and(inArray(agents.deviceId, ids), isNull(agents.revokedAt)))
		.orderBy(desc(agents.enrolledAt));
	const agentOf = new Map<number, string>();
	for (const a of live) if (a.deviceId !== null && !agentOf.has(a.deviceId)) agentOf.set(a.deviceId, a.id);

	const result: StartTasksResult = { started: [], skipped: [] };
	const rt = runtime();
	const key = await taskSigningKey(rt);
	const lifetimeMs = input.lifetimeMs ?? TASK_DEFAULT_LIFETIME_MS;
	const toNotify = new Set<string>();

	for (const deviceId of ids) {
		const deviceName = names.get(deviceId) ?? null;
		const skip = (reason: string) => result.skipped.push({ deviceId, deviceName, reason });
		if (deviceName === null) {
			skip('There is no such device.');
			continue;
		}
		if (!can(principal, 'tasks.run', await loadDeviceRef(db, deviceId))) {
			skip('You may not run tasks on this device (no tasks.run grant on its groups).');
			continue;
		}
		const agentId = agentOf.get(deviceId);
		if (!agentId) {
			skip('This device has no enrolled agent, so it cannot receive tasks.');
			continue;
		}
		// Bad arguments throw here, before anything is written, with what was wrong.
		const signed = signTask(key.privateKey, {
			agentId,
			kind: input.kind,
			args: input.args as TaskArgsInputByKind[typeof input.kind],
			lifetimeMs
		});
		const env = signed.envelope;
		await db.transaction(async (t0) => {
			const t = t0 as unknown as Db;
			await t.insert(tasks).values({
				id: env.id,
				agentId,
				deviceId,
				kind: env.kind,
				args: env.args,
				signed,
				createdBy: actor.name,
				expiresAt: new Date(env.exp)
			});
			await audit(t, actor, {
				action: 'task.run',
				targetType: 'device',
				targetId: deviceId,
				targetName: deviceName,
				after: { taskId: env.id, kind: env.kind, args: redactArgs(env.kind, env.args) }
			});
		});
		emitTaskUpdate({ id: env.id, agentId, deviceId, kind: env.kind, state: 'queued' });
		result.started.push({ deviceId, taskId: env.id });
		toNotify.add(agentId);
	}
	for (const agentId of toNotify)
		await sendAgentLinkCommand({ type: 'deliver', agentId }).catch((e) =>
			console.error(`tasks: could not notify the node of agent ${agentId}: ${(e as Error).message}`)
		);
	return result;
}

/** Starts a task on one device; a refusal is an error that says why. */
export async function startTask(
	db: Db,
	principal: Principal,
	actor: Actor,
	input: { deviceId: number; kind: KnownTaskKind; args: unknown; lifetimeMs?: number }
): Promise<{ id: string }> {
	const r = await startTasks(db, principal, actor, { ...input, deviceIds: [input.deviceId] });
	if (r.skipped.length) {
		const reason = r.skipped[0].reason;
		throw new UserError(reason, reason.startsWith('You may not') ? 'FORBIDDEN' : 'BAD_REQUEST');
	}
	return { id: r.started[0].taskId };
}

/** Standard input can hold secrets: the audit log records its size, not its content. */
function redactArgs(kind: string, args: unknown): unknown {
	if (kind !== 'exec' || !args || typeof args !== 'object') return args;
	const a = { ...(args as Record<string, unknown>) };
	if (typeof a.stdin === 'string') a.stdin = `(${a.stdin.length} characters)`;
	if (a.env && typeof a.env === 'object') a.env = Object.keys(a.env as object);
	return a;
}

/** The device called `name` (the CLI names devices, the desktop picks them). */
export async function deviceIdByName(db: Db, name: string): Promise<number> {
	const [d] = await db.select({ id: devices.id }).from(devices).where(eq(devices.name, name));
	if (!d) throw new UserError(`There is no device named "${name}".`, 'NOT_FOUND');
	return d.id;
}
