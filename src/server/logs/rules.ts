// Pattern rules per device group: listed by readers, changed by logs.manage holders (audited). A change goes to
// the agents (their log files) in a new signed config, and to this node's console scanner at once (other
// nodes within a few seconds).
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deviceGroups, logRules } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import {
	checkRegex,
	logRuleInputSchema,
	type LogRuleInput,
	type LogRuleView,
	type LogSeverity
} from '../../lib/protocol/logs';
import { pushLogsConfigSoon } from './config';
import { forgetConsoleRules } from './patterns';

type Row = typeof logRules.$inferSelect;

function view(r: Row, groupName: string): LogRuleView {
	return {
		id: r.id,
		groupId: r.groupId,
		groupName,
		name: r.name,
		pattern: r.pattern,
		ignoreCase: r.ignoreCase,
		severity: r.severity as LogSeverity,
		onConsoles: r.onConsoles,
		onFiles: r.onFiles,
		enabled: r.enabled,
		createdBy: r.createdBy,
		createdAt: r.createdAt.toISOString(),
		updatedAt: r.updatedAt.toISOString()
	};
}

export async function listRules(db: Db, groupId?: number): Promise<LogRuleView[]> {
	const rows = await db
		.select({ r: logRules, groupName: deviceGroups.name })
		.from(logRules)
		.innerJoin(deviceGroups, eq(deviceGroups.id, logRules.groupId))
		.where(groupId !== undefined ? eq(logRules.groupId, groupId) : undefined)
		.orderBy(asc(deviceGroups.name), asc(logRules.name), asc(logRules.id));
	return rows.map((x) => view(x.r, x.groupName));
}

async function groupName(db: Db, id: number): Promise<string> {
	const [g] = await db.select({ name: deviceGroups.name }).from(deviceGroups).where(eq(deviceGroups.id, id));
	if (!g) throw new UserError(`There is no device group ${id}.`, 'NOT_FOUND');
	return g.name;
}

async function getRule(db: Db, id: number): Promise<Row> {
	const [r] = await db.select().from(logRules).where(eq(logRules.id, id));
	if (!r) throw new UserError(`There is no pattern rule ${id}.`, 'NOT_FOUND');
	return r;
}

const changed = (db: Db) => {
	forgetConsoleRules();
	pushLogsConfigSoon(db);
};

export async function createRule(db: Db, actor: Actor, input: LogRuleInput): Promise<LogRuleView> {
	const data = logRuleInputSchema.parse(input);
	const gName = await groupName(db, data.groupId);
	const row = await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		const [r] = await t
			.insert(logRules)
			.values({ ...data, createdBy: actor.name })
			.returning();
		await audit(t, actor, {
			action: 'logs.rule.create',
			targetType: 'log-rule',
			targetId: r.id,
			targetName: r.name,
			after: { ...data, group: gName }
		});
		return r;
	});
	changed(db);
	return view(row, gName);
}

export async function updateRule(
	db: Db,
	actor: Actor,
	id: number,
	input: LogRuleInput
): Promise<LogRuleView> {
	const data = logRuleInputSchema.parse(input);
	const before = await getRule(db, id);
	const gName = await groupName(db, data.groupId);
	const row = await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		const [r] = await t
			.update(logRules)
			.set({ ...data, updatedAt: new Date() })
			.where(eq(logRules.id, id))
			.returning();
		const { createdAt: _c, updatedAt: _u, createdBy: _b, id: _i, ...was } = before;
		await audit(t, actor, {
			action: 'logs.rule.update',
			targetType: 'log-rule',
			targetId: id,
			targetName: r.name,
			before: was,
			after: data
		});
		return r;
	});
	changed(db);
	return view(row, gName);
}

export async function deleteRule(db: Db, actor: Actor, id: number): Promise<{ ok: true }> {
	const before = await getRule(db, id);
	await db.transaction(async (t0) => {
		const t = t0 as unknown as Db;
		await t.delete(logRules).where(eq(logRules.id, id));
		await audit(t, actor, {
			action: 'logs.rule.delete',
			targetType: 'log-rule',
			targetId: id,
			targetName: before.name,
			before: { groupId: before.groupId, pattern: before.pattern, severity: before.severity }
		});
	});
	changed(db);
	return { ok: true };
}

/** The check the rule editor shows, and which sample lines the pattern matches. */
export function testRule(
	pattern: string,
	ignoreCase: boolean,
	lines: string[]
): { ok: boolean; message: string | null; position: number | null; matches: boolean[] } {
	const c = checkRegex(pattern, ignoreCase ? 'i' : '', { rule: true });
	if (!c.ok) return { ok: false, message: c.message, position: c.position, matches: [] };
	const re = new RegExp(pattern, ignoreCase ? 'i' : '');
	return { ok: true, message: null, position: null, matches: lines.map((l) => re.test(l)) };
}
