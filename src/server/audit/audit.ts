import { and, desc, eq, gte, ilike, lte, or, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';

/** Who did it: a signed-in user, the CLI, or the system itself. */
export interface Actor {
	id: number | null;
	name: string;
	ip?: string;
}

export const SYSTEM_ACTOR: Actor = { id: null, name: 'system' };

export interface AuditEntry {
	action: string;
	targetType: string;
	targetId?: string | number;
	targetName?: string;
	before?: unknown;
	after?: unknown;
}

export async function audit(db: Db, actor: Actor, e: AuditEntry): Promise<void> {
	await db.insert(auditLog).values({
		actorId: actor.id,
		actorName: actor.name,
		action: e.action,
		targetType: e.targetType,
		targetId: e.targetId === undefined ? '' : String(e.targetId),
		targetName: e.targetName ?? '',
		before: e.before ?? null,
		after: e.after ?? null,
		ip: actor.ip ?? ''
	});
}

export interface AuditFilter {
	actor?: string;
	action?: string;
	targetType?: string;
	text?: string;
	from?: Date;
	to?: Date;
	beforeId?: number;
	limit: number;
}

export async function listAudit(db: Db, f: AuditFilter) {
	const where: SQL[] = [];
	if (f.actor) where.push(ilike(auditLog.actorName, `%${escapeLike(f.actor)}%`));
	if (f.action) where.push(ilike(auditLog.action, `${escapeLike(f.action)}%`));
	if (f.targetType) where.push(eq(auditLog.targetType, f.targetType));
	if (f.text) {
		const t = `%${escapeLike(f.text)}%`;
		where.push(or(ilike(auditLog.targetName, t), ilike(auditLog.action, t), ilike(auditLog.actorName, t))!);
	}
	if (f.from) where.push(gte(auditLog.at, f.from));
	if (f.to) where.push(lte(auditLog.at, f.to));
	if (f.beforeId) where.push(lt(auditLog.id, f.beforeId));
	return db
		.select()
		.from(auditLog)
		.where(where.length ? and(...where) : undefined)
		.orderBy(desc(auditLog.id))
		.limit(f.limit);
}

function escapeLike(s: string): string {
	return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
