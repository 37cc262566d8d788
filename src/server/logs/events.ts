// Raising pattern and file-change events: stored, pushed live to the users who may read the device's logs,
// and announced as a desktop notification. A flood is folded into the event of the last minute (its count
// grows, nothing is dropped) and only the first of the minute notifies.
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { devices, logEvents } from '../db/schema';
import { hasRuntime, runtime } from '../runtime';
import { sendNotification } from '../notifications/notifications';
import type { FileState, LogEventSource, LogEventView, LogSeverity } from '../../lib/protocol/logs';
import { logReaders } from './access';
import { eventLink } from './links';

/** Matches of one rule on one device (or changes of one file) within this long fold into one event. */
export const FOLD_WINDOW_MS = 60_000;
const MAX_LINE = 4000;

type Row = typeof logEvents.$inferSelect;

export function eventView(r: Row, deviceName: string | null): LogEventView {
	return {
		id: r.id,
		kind: r.kind,
		deviceId: r.deviceId,
		deviceName,
		ruleId: r.ruleId,
		ruleName: r.ruleName,
		severity: r.severity as LogSeverity,
		source: r.source,
		line: r.line,
		count: r.count,
		lastLine: r.lastLine,
		lastAt: r.lastAt.toISOString(),
		change: r.change ?? null,
		at: r.at.toISOString(),
		ackedAt: r.ackedAt?.toISOString() ?? null,
		ackedBy: r.ackedBy,
		link: eventLink(r)
	};
}

export interface PatternHit {
	deviceId: number;
	agentId: string | null;
	rule: { id: number | null; name: string; severity: LogSeverity };
	source: LogEventSource;
	line: string;
	lastLine?: string | null;
	count: number;
	at: Date;
}

export interface FileChange {
	deviceId: number;
	agentId: string;
	path: string;
	before: FileState | null;
	after: FileState;
	changed: string[];
	at: Date;
}

export interface Raised {
	row: Row;
	/** A new event (notify); false: folded into a recent one (only the live view changes). */
	fresh: boolean;
}

const cut = (s: string) => (s.length > MAX_LINE ? s.slice(0, MAX_LINE) : s);

/** Stores a pattern match (or several), folding it into the rule's event of the last minute on the device. */
export async function storePatternHit(db: Db, h: PatternHit): Promise<Raised> {
	const since = new Date(h.at.getTime() - FOLD_WINDOW_MS);
	const ruleId = h.rule.id;
	const [recent] =
		ruleId === null
			? []
			: await db
					.select({ id: logEvents.id })
					.from(logEvents)
					.where(
						and(
							eq(logEvents.kind, 'pattern'),
							eq(logEvents.ruleId, ruleId),
							eq(logEvents.deviceId, h.deviceId),
							gt(logEvents.at, since)
						)
					)
					.orderBy(desc(logEvents.id))
					.limit(1);
	if (recent) {
		const [row] = await db
			.update(logEvents)
			.set({
				count: sql`${logEvents.count} + ${h.count}`,
				lastLine: cut(h.lastLine ?? h.line),
				lastAt: sql`greatest(${logEvents.lastAt}, ${h.at})`
			})
			.where(eq(logEvents.id, recent.id))
			.returning();
		return { row, fresh: false };
	}
	const [row] = await db
		.insert(logEvents)
		.values({
			kind: 'pattern',
			deviceId: h.deviceId,
			agentId: h.agentId,
			ruleId,
			ruleName: h.rule.name,
			severity: h.rule.severity,
			source: h.source,
			line: cut(h.line),
			count: h.count,
			lastLine: h.count > 1 && h.lastLine ? cut(h.lastLine) : null,
			lastAt: h.at,
			at: h.at
		})
		.returning();
	return { row, fresh: true };
}

/** Stores a watched file's change; changes of one file within a minute fold (the first "before" is kept). */
export async function storeFileChange(db: Db, c: FileChange): Promise<Raised> {
	const since = new Date(c.at.getTime() - FOLD_WINDOW_MS);
	const [recent] = await db
		.select()
		.from(logEvents)
		.where(
			and(
				eq(logEvents.kind, 'file-change'),
				eq(logEvents.deviceId, c.deviceId),
				eq(logEvents.line, c.path),
				gt(logEvents.at, since)
			)
		)
		.orderBy(desc(logEvents.id))
		.limit(1);
	const severity: LogSeverity = c.after.exists ? 'warning' : 'error';
	if (recent?.change) {
		const changed = [...new Set([...recent.change.changed, ...c.changed])];
		const [row] = await db
			.update(logEvents)
			.set({
				count: sql`${logEvents.count} + 1`,
				change: { ...recent.change, after: c.after, changed },
				lastAt: c.at,
				severity: recent.severity === 'error' ? 'error' : severity
			})
			.where(eq(logEvents.id, recent.id))
			.returning();
		return { row, fresh: false };
	}
	const [row] = await db
		.insert(logEvents)
		.values({
			kind: 'file-change',
			deviceId: c.deviceId,
			agentId: c.agentId,
			severity,
			source: { type: 'file', path: c.path, offset: null },
			line: c.path,
			change: { path: c.path, before: c.before, after: c.after, changed: c.changed },
			lastAt: c.at,
			at: c.at
		})
		.returning();
	return { row, fresh: true };
}

const LEVEL = { info: 'info', warning: 'warning', error: 'error', critical: 'error' } as const;

function describeChange(v: LogEventView): string {
	const ch = v.change!;
	if (!ch.after.exists) return `${ch.path} was removed.`;
	if (ch.before === null || !ch.before.exists) return `${ch.path} appeared (${ch.after.size ?? 0} bytes).`;
	const parts = ch.changed.map((k) =>
		k === 'size'
			? `size ${ch.before!.size} → ${ch.after.size}`
			: k === 'sha256'
				? 'content changed'
				: `${k} changed`
	);
	return `${ch.path}: ${parts.join(', ') || 'changed'}.`;
}

/**
 * After the event is committed: the live `logs:event` to every reader of the device, and for a new event a
 * desktop notification to each of them with a link to the line. Never throws.
 */
export async function announce(db: Db, r: Raised): Promise<void> {
	try {
		const deviceName = r.row.deviceId
			? ((await db.select({ name: devices.name }).from(devices).where(eq(devices.id, r.row.deviceId)))[0]
					?.name ?? null)
			: null;
		const v = eventView(r.row, deviceName);
		const readers = r.row.deviceId ? await logReaders(db, r.row.deviceId) : [];
		if (!readers.length) return;
		if (hasRuntime())
			runtime()
				.io?.of('/desktop')
				.to(readers.map((u) => `user:${u}`))
				.emit('logs:event', v);
		if (!r.fresh) return;
		const on = deviceName ?? 'a device';
		const title =
			v.kind === 'pattern'
				? `${v.ruleName ?? 'Pattern'} on ${on}`.slice(0, 200)
				: `Watched file ${v.change?.after.exists ? 'changed' : 'removed'} on ${on}`.slice(0, 200);
		const body = v.kind === 'pattern' ? v.line.slice(0, 1000) : describeChange(v);
		for (const userId of readers)
			await sendNotification(db, 'logs', {
				audience: { type: 'user', userId },
				title,
				body,
				level: LEVEL[v.severity],
				link: v.link
			});
	} catch (e) {
		console.error('logs: announcing an event failed:', (e as Error).message);
	}
}
