// Opening and closing a pipe are signed tasks like any other: signed with the task-signing key, recorded in
// `tasks` (so they show in the device's task history) and delivered by whichever node holds the agent's link.
// Only the broker starts them, after its own checks; users cannot start these kinds through tasks.run.
import type { Db } from '../db/client';
import { tasks } from '../db/schema';
import type { Actor } from '../audit/audit';
import { runtime } from '../runtime';
import { taskSigningKey } from '../agents/pki';
import { sendAgentLinkCommand } from '../agents/live';
import { signTask } from '../tasks/sign';
import { emitTaskUpdate } from '../tasks/events';
import type { ConsoleCloseArgs, ConsoleOpenArgsInput } from '../../lib/protocol/consoles';

/** An open that waits longer than this for its agent is pointless: the agent's next hello reopens anyway. */
const OPEN_LIFETIME_MS = 2 * 60_000;
const CLOSE_LIFETIME_MS = 10 * 60_000;

type ConsoleTask =
	{ kind: 'console-open'; args: ConsoleOpenArgsInput } | { kind: 'console-close'; args: ConsoleCloseArgs };

/** Signs, records and sends one console task; its id. */
export async function queueConsoleTask(
	db: Db,
	actor: Actor,
	to: { agentId: string; deviceId: number | null },
	task: ConsoleTask
): Promise<string> {
	const key = await taskSigningKey(runtime());
	const signed = signTask(key.privateKey, {
		agentId: to.agentId,
		kind: task.kind,
		args: task.args,
		lifetimeMs: task.kind === 'console-open' ? OPEN_LIFETIME_MS : CLOSE_LIFETIME_MS
	});
	const env = signed.envelope;
	await db.insert(tasks).values({
		id: env.id,
		agentId: to.agentId,
		deviceId: to.deviceId,
		kind: env.kind,
		// The sealed secret is only useful to this agent for this pipe; still, it is not kept twice.
		args: redact(env.args as Record<string, unknown>),
		signed,
		createdBy: actor.name,
		expiresAt: new Date(env.exp)
	});
	emitTaskUpdate({ id: env.id, agentId: to.agentId, deviceId: to.deviceId, kind: env.kind, state: 'queued' });
	await sendAgentLinkCommand({ type: 'deliver', agentId: to.agentId }).catch((e) =>
		console.error(`consoles: could not notify the node of agent ${to.agentId}: ${(e as Error).message}`)
	);
	return env.id;
}

function redact(args: Record<string, unknown>): Record<string, unknown> {
	return args.secret ? { ...args, secret: '(sealed)' } : args;
}
