// What became of a console-open, from the task's outcome (the core applies the agent's reports; this only
// watches them go by). A failed or refused open leaves no pipe to report a state, so the room shows the
// task's error. A succeeded ssh open reports the host key it met: a console without a pinned key pins it
// (trust on first use), so later opens refuse a different host.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles, tasks } from '../db/schema';
import { audit, SYSTEM_ACTOR } from '../audit/audit';
import type { AgentSocket } from '../agents/gateway';
import { setPipeState } from './pipes';

const FAILED = new Set(['failed', 'refused', 'timed-out']);
const FINGERPRINT = /^[A-Za-z0-9+/]{43}=?$/;

interface StatusBody {
	taskId?: unknown;
	state?: unknown;
	reason?: unknown;
	error?: unknown;
	message?: unknown;
	result?: { hostKeySha256?: unknown };
}

export function observeOpenResults(db: Db, socket: AgentSocket): void {
	const agentId = socket.data.agentId;
	socket.on('report', (r: unknown) => {
		const rep = r as { kind?: unknown; body?: StatusBody };
		const b = rep?.body;
		if (rep?.kind !== 'task-status' || typeof b?.taskId !== 'string') return;
		const state = String(b.state);
		if (state === 'refused' && b.reason === 'replayed') return;
		if (!FAILED.has(state) && state !== 'succeeded') return;
		void outcome(db, agentId, b.taskId, state, b).catch((e) =>
			console.error('consoles: recording the outcome of a console-open failed:', (e as Error).message)
		);
	});
}

async function outcome(
	db: Db,
	agentId: string,
	taskId: string,
	state: string,
	body: StatusBody
): Promise<void> {
	const [t] = await db
		.select({ args: tasks.args })
		.from(tasks)
		.where(and(eq(tasks.id, taskId), eq(tasks.agentId, agentId), eq(tasks.kind, 'console-open')));
	const args = t?.args as { consoleId?: number; pipeId?: string } | undefined;
	if (!args?.consoleId || !args.pipeId) return;
	if (state !== 'succeeded') {
		const text = [body.error, body.message].find((x) => typeof x === 'string' && x) as string | undefined;
		const message = (text ?? 'The agent could not open the console.').slice(0, 500);
		return setPipeState(db, args.consoleId, args.pipeId, 'failed', message);
	}
	const key = body.result?.hostKeySha256;
	if (typeof key !== 'string' || !FINGERPRINT.test(key)) return;
	const [pinned] = await db
		.update(consoles)
		.set({ target: sql`jsonb_set(${consoles.target}, '{hostKeySha256}', to_jsonb(${key}::text))` })
		.where(
			and(
				eq(consoles.id, args.consoleId),
				eq(consoles.pipeId, args.pipeId),
				eq(consoles.kind, 'ssh'),
				sql`coalesce(${consoles.target}->>'hostKeySha256', '') = ''`
			)
		)
		.returning({ name: consoles.name });
	if (pinned)
		await audit(db, SYSTEM_ACTOR, {
			action: 'console.host-key-pinned',
			targetType: 'console',
			targetId: args.consoleId,
			targetName: pinned.name,
			after: { hostKeySha256: key }
		});
}
