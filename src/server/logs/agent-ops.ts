// Reading a file (or the journal) on an agent host: the server opens a read session with a signed `logs-open`
// task, then sends operations on it as `logs:op` link events with acknowledgements. The agent's socket may be
// held by another node: the gateway namespace's room reaches it through the PostgreSQL adapter.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, devices, logSessions, tasks } from '../db/schema';
import { agentGateway, agentRoom } from '../agents/gateway';
import { taskSigningKey } from '../agents/pki';
import { runtime } from '../runtime';
import { UserError } from '../errors';
import { signTask } from '../tasks/sign';
import { emitTaskUpdate } from '../tasks/events';
import type { SignedTask } from '../../lib/protocol/tasks';
import type { TaskDeliveryAck } from '../../lib/protocol/agent';
import type { LogFileEntry, LogSource, LogsOp, LogsOpResult } from '../../lib/protocol/logs';

/** Sessions live an hour on the agent; one with less than this left is replaced rather than reused. */
const SESSION_TTL_MS = 3600_000;
const SESSION_MARGIN_MS = 120_000;
const ACK_MS = 15_000;

export interface DeviceAgent {
	deviceId: number;
	deviceName: string;
	agentId: string;
}

/** The device's enrolled, non-revoked agent (the newest), or a clear refusal. */
export async function deviceAgent(db: Db, deviceId: number): Promise<DeviceAgent> {
	const [d] = await db
		.select({ id: devices.id, name: devices.name })
		.from(devices)
		.where(eq(devices.id, deviceId));
	if (!d) throw new UserError(`There is no device ${deviceId}.`, 'NOT_FOUND');
	const [a] = await db
		.select({ id: agents.id })
		.from(agents)
		.where(and(eq(agents.deviceId, deviceId), isNull(agents.revokedAt)))
		.orderBy(desc(agents.enrolledAt))
		.limit(1);
	if (!a) throw new UserError(`${d.name} has no enrolled agent, so its files cannot be read.`);
	return { deviceId, deviceName: d.name, agentId: a.id };
}

export function sourceKey(s: LogSource): string {
	return s.type === 'journal' ? 'journal' : `file:${s.path}`;
}

function gateway() {
	const g = agentGateway();
	if (!g) throw new UserError('This server node has no agent gateway, so it cannot reach agents.');
	return g;
}

/** One acknowledged event to the agent, wherever its link is; null when no node holds a link to it. */
async function ask<R>(agentId: string, event: string, ms: number, ...args: unknown[]): Promise<R | null> {
	const room = gateway().namespace.to(agentRoom(agentId)).timeout(ms) as unknown as {
		emitWithAck(ev: string, ...a: unknown[]): Promise<R[]>;
	};
	try {
		const replies = await room.emitWithAck(event, ...args);
		return replies[0] ?? null;
	} catch {
		return null;
	}
}

const offline = (a: DeviceAgent) =>
	new UserError(`The agent of ${a.deviceName} is not connected; try again when it is online.`);

/**
 * Opens a read session: a signed `logs-open` task, recorded like every task (who read what, when), sent
 * straight to the agent rather than through the queue (a reader waits for it; an offline agent means "no").
 */
async function openSession(db: Db, a: DeviceAgent, source: LogSource, by: string): Promise<string> {
	await sweepLogSessions(db);
	const key = await taskSigningKey(runtime());
	const sessionId = randomUUID();
	const signed = signTask(key.privateKey, {
		agentId: a.agentId,
		kind: 'logs-open',
		args: { sessionId, source, ttlMs: SESSION_TTL_MS },
		lifetimeMs: 60_000
	});
	const env = signed.envelope;
	await db.insert(tasks).values({
		id: env.id,
		agentId: a.agentId,
		deviceId: a.deviceId,
		kind: env.kind,
		args: env.args,
		signed: null,
		createdBy: by,
		expiresAt: new Date(env.exp),
		// Claimed here so the queue never sends it a second time.
		deliveredAt: new Date()
	});
	emitTaskUpdate({ id: env.id, agentId: a.agentId, deviceId: a.deviceId, kind: env.kind, state: 'queued' });
	const ack = await ask<TaskDeliveryAck>(a.agentId, 'task', ACK_MS, signed as SignedTask);
	if (!ack?.accepted) {
		const error = ack ? `The agent refused to open it: ${ack.reason}` : 'The agent was not connected.';
		await db
			.update(tasks)
			.set({ state: ack ? 'refused' : 'failed', error, finishedAt: new Date() })
			.where(and(eq(tasks.id, env.id), eq(tasks.state, 'queued')));
		if (!ack) throw offline(a);
		throw new UserError(`${error}.`);
	}
	await db.insert(logSessions).values({
		id: sessionId,
		agentId: a.agentId,
		sourceKey: sourceKey(source),
		expiresAt: new Date(Date.now() + SESSION_TTL_MS)
	});
	return sessionId;
}

async function currentSession(db: Db, a: DeviceAgent, source: LogSource): Promise<string | null> {
	const [s] = await db
		.select({ id: logSessions.id })
		.from(logSessions)
		.where(
			and(
				eq(logSessions.agentId, a.agentId),
				eq(logSessions.sourceKey, sourceKey(source)),
				gt(logSessions.expiresAt, new Date(Date.now() + SESSION_MARGIN_MS))
			)
		)
		.orderBy(desc(logSessions.expiresAt))
		.limit(1);
	return s?.id ?? null;
}

/**
 * Runs one operation on `source`, opening (or re-opening, after an agent restart) the session it needs. The
 * caller has checked the user's logs.read grant on the device.
 */
export async function runLogsOp<K extends LogsOp['op']>(
	db: Db,
	a: DeviceAgent,
	source: LogSource,
	op: Extract<LogsOp, { op: K }>,
	by: string
): Promise<Extract<LogsOpResult, { ok: true; op: K }>> {
	const waitMs = 'waitMs' in op ? op.waitMs : 0;
	for (let attempt = 0; ; attempt++) {
		const sessionId = (await currentSession(db, a, source)) ?? (await openSession(db, a, source, by));
		const r = await ask<LogsOpResult>(a.agentId, 'logs:op', ACK_MS + waitMs, { sessionId, ...op });
		if (!r) throw offline(a);
		if (r.ok) return r as Extract<LogsOpResult, { ok: true; op: K }>;
		// The session is gone (agent restarted) or could not open: forget it; the next call opens a new one.
		if (r.code !== 'failed') await db.delete(logSessions).where(eq(logSessions.id, sessionId));
		if (r.code === 'unknown-session' && attempt === 0) continue;
		throw new UserError(r.error);
	}
}

/** The files the agent's allow lists name right now; null when the agent is not connected. */
export async function listAgentFiles(
	agentId: string
): Promise<{ files: LogFileEntry[]; journal: boolean } | null> {
	return ask(agentId, 'logs:list', ACK_MS);
}

/** Forgets sessions that have run out (the agents close them on their own). */
export async function sweepLogSessions(db: Db): Promise<void> {
	await db.delete(logSessions).where(sql`${logSessions.expiresAt} < now()`);
}
