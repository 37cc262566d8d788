// What agents report about logs, applied exactly once with the report: a pattern rule matched a line of a log
// file (`log-match`), a watched file changed (`file-change`). Live events and notifications go out after the
// report's transaction commits.
import { eq } from 'drizzle-orm';
import { agents, logRules } from '../db/schema';
import { registerReportHandler } from '../agents/reports';
import { runtime } from '../runtime';
import type { LogSeverity } from '../../lib/protocol/logs';
import { announce, storeFileChange, storePatternHit } from './events';

async function deviceOfAgent(
	db: Parameters<Parameters<typeof registerReportHandler>[1]>[0]['db'],
	id: string
) {
	const [a] = await db.select({ deviceId: agents.deviceId }).from(agents).where(eq(agents.id, id));
	return a?.deviceId ?? null;
}

registerReportHandler('log-match', async (ctx, m) => {
	const deviceId = await deviceOfAgent(ctx.db, ctx.agentId);
	if (deviceId === null) return;
	const [rule] = await ctx.db
		.select({ id: logRules.id, name: logRules.name, severity: logRules.severity })
		.from(logRules)
		.where(eq(logRules.id, m.ruleId));
	// A rule deleted since the agent matched it: the match is still kept, without the rule.
	const raised = await storePatternHit(ctx.db, {
		deviceId,
		agentId: ctx.agentId,
		rule: rule
			? { ...rule, severity: rule.severity as LogSeverity }
			: { id: null, name: `rule #${m.ruleId} (deleted)`, severity: 'warning' },
		source:
			m.source.type === 'file'
				? { type: 'file', path: m.source.path, offset: m.offset }
				: { type: 'journal' },
		line: m.line,
		lastLine: m.lastLine ?? null,
		count: m.count,
		at: new Date(m.at)
	});
	ctx.afterCommit(() => void announce(runtime().db, raised));
});

registerReportHandler('file-change', async (ctx, c) => {
	const deviceId = await deviceOfAgent(ctx.db, ctx.agentId);
	if (deviceId === null) return;
	const raised = await storeFileChange(ctx.db, {
		deviceId,
		agentId: ctx.agentId,
		path: c.path,
		before: c.before,
		after: c.after,
		changed: c.changed,
		at: new Date(c.at)
	});
	ctx.afterCommit(() => void announce(runtime().db, raised));
});
