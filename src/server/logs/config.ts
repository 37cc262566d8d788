// What each agent is told in its signed `logs-config` task: the pattern rules of its device groups that run on
// log files, and the files to watch (the union of its groups' lists, or the defaults when none has one). The
// agent says which version it holds after every hello; a different one gets a new task.
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
	agents,
	deviceGroupMembers,
	deviceGroups,
	logAgents,
	logRules,
	logWatchLists,
	tasks
} from '../db/schema';
import { taskSigningKey } from '../agents/pki';
import { sendAgentLinkCommand } from '../agents/live';
import { runtime } from '../runtime';
import { signTask } from '../tasks/sign';
import { emitTaskUpdate } from '../tasks/events';
import { canonicalJson } from '../../lib/protocol/tasks';
import { DEFAULT_WATCHED_FILES, type LogRuleSpec, type LogsConfigArgs } from '../../lib/protocol/logs';

const CONFIG_TASK_LIFETIME_MS = 3600_000;

interface Catalogue {
	allDevices: number[];
	groupsOf: Map<number, number[]>;
	rules: (LogRuleSpec & { groupId: number })[];
	lists: Map<number, string[]>;
}

async function catalogue(db: Db, deviceIds?: number[]): Promise<Catalogue> {
	const all = await db
		.select({ id: deviceGroups.id })
		.from(deviceGroups)
		.where(eq(deviceGroups.allDevices, true));
	const members = await db
		.select()
		.from(deviceGroupMembers)
		.where(deviceIds ? inArray(deviceGroupMembers.deviceId, deviceIds.length ? deviceIds : [-1]) : undefined);
	const groupsOf = new Map<number, number[]>();
	for (const m of members) groupsOf.set(m.deviceId, [...(groupsOf.get(m.deviceId) ?? []), m.groupId]);
	const rules = await db
		.select({
			id: logRules.id,
			groupId: logRules.groupId,
			name: logRules.name,
			pattern: logRules.pattern,
			ignoreCase: logRules.ignoreCase,
			severity: logRules.severity
		})
		.from(logRules)
		.where(and(eq(logRules.enabled, true), eq(logRules.onFiles, true)))
		.orderBy(asc(logRules.id));
	const lists = new Map((await db.select().from(logWatchLists)).map((l) => [l.groupId, l.paths]));
	return {
		allDevices: all.map((g) => g.id),
		groupsOf,
		rules: rules.map((r) => ({ ...r, severity: r.severity as LogRuleSpec['severity'] })),
		lists
	};
}

function configFor(c: Catalogue, deviceId: number): LogsConfigArgs {
	const groups = new Set([...c.allDevices, ...(c.groupsOf.get(deviceId) ?? [])]);
	const rules = c.rules.filter((r) => groups.has(r.groupId)).map(({ groupId: _g, ...r }) => r);
	const own = [...groups].map((g) => c.lists.get(g)).filter((l): l is string[] => !!l);
	const watch = own.length ? [...new Set(own.flat())].sort() : [...DEFAULT_WATCHED_FILES];
	const version = createHash('sha256').update(canonicalJson({ rules, watch })).digest('hex');
	return { version, rules, watch };
}

/** The config one device's agent should hold. */
export async function logsConfigForDevice(db: Db, deviceId: number): Promise<LogsConfigArgs> {
	return configFor(await catalogue(db, [deviceId]), deviceId);
}

/** Signs and queues a `logs-config` task unless one with this version is already on its way. */
async function issue(db: Db, agentId: string, deviceId: number, cfg: LogsConfigArgs): Promise<boolean> {
	const [pending] = await db
		.select({ id: tasks.id })
		.from(tasks)
		.where(
			and(
				eq(tasks.agentId, agentId),
				eq(tasks.kind, 'logs-config'),
				inArray(tasks.state, ['queued', 'running']),
				sql`${tasks.args}->>'version' = ${cfg.version}`,
				sql`${tasks.expiresAt} > now()`
			)
		)
		.limit(1);
	if (pending) return false;
	const key = await taskSigningKey(runtime());
	const signed = signTask(key.privateKey, {
		agentId,
		kind: 'logs-config',
		args: cfg,
		lifetimeMs: CONFIG_TASK_LIFETIME_MS
	});
	const env = signed.envelope;
	await db.insert(tasks).values({
		id: env.id,
		agentId,
		deviceId,
		kind: env.kind,
		args: env.args,
		signed,
		createdBy: 'system',
		expiresAt: new Date(env.exp)
	});
	emitTaskUpdate({ id: env.id, agentId, deviceId, kind: env.kind, state: 'queued' });
	await sendAgentLinkCommand({ type: 'deliver', agentId });
	return true;
}

/** After an agent's hello: sends it the current config if it holds another version. */
export async function ensureAgentConfig(
	db: Db,
	agentId: string,
	deviceId: number,
	held: string | null
): Promise<void> {
	const cfg = await logsConfigForDevice(db, deviceId);
	if (cfg.version !== held) await issue(db, agentId, deviceId, cfg);
}

/**
 * After rules or watch lists changed: every connected agent whose config differs gets the new one (the others
 * get it at their next hello). Returns how many tasks were queued.
 */
export async function pushLogsConfig(db: Db): Promise<number> {
	const live = await db
		.select({ id: agents.id, deviceId: agents.deviceId, held: logAgents.configVersion })
		.from(agents)
		.innerJoin(logAgents, eq(logAgents.agentId, agents.id))
		.where(
			and(
				isNull(agents.revokedAt),
				isNotNull(agents.deviceId),
				isNotNull(agents.connectionId),
				sql`${agents.leaseUntil} > now()`
			)
		);
	if (!live.length) return 0;
	const c = await catalogue(db);
	let n = 0;
	for (const a of live) {
		const cfg = configFor(c, a.deviceId!);
		if (cfg.version !== a.held && (await issue(db, a.id, a.deviceId!, cfg))) n++;
	}
	return n;
}

/** Runs pushLogsConfig without making the caller wait or fail (a rule saved is saved). */
export function pushLogsConfigSoon(db: Db): void {
	void pushLogsConfig(db).catch((e) =>
		console.error('logs: pushing the config to agents failed:', e.message)
	);
}
