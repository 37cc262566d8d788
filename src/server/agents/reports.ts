// Reports from agents, applied exactly once: the (agent, sequence) check and the report's effect commit in
// one transaction, so a report re-sent after a lost acknowledgement is dropped, and one that failed is not
// marked as seen.
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agentEvents, agents } from '../db/schema';
import {
	isReportKind,
	REPORT_BODIES,
	reportEnvelope,
	type ReportAck,
	type ReportBody,
	type ReportEnvelope,
	type ReportKind
} from '../../lib/protocol/agent';

export interface ReportContext {
	/** The transaction the report is applied in. */
	db: Db;
	/** From the verified client certificate, never from the message. */
	agentId: string;
	seq: number;
	at: Date;
	/** Runs `fn` once the report's transaction has committed (live events: never announce what may roll back). */
	afterCommit(fn: () => void): void;
}

type Handler<K extends ReportKind> = (ctx: ReportContext, body: ReportBody<K>) => Promise<void>;

const KEY = Symbol.for('fleetdesk.agentReportHandlers');
type G = typeof globalThis & { [KEY]?: Map<string, Handler<ReportKind>> };
function handlers(): Map<string, Handler<ReportKind>> {
	return ((globalThis as G)[KEY] ??= new Map());
}

/** Modules (tasks, inventory, metrics) register what a report kind does; the kind's schema is in the protocol. */
export function registerReportHandler<K extends ReportKind>(kind: K, fn: Handler<K>): void {
	handlers().set(kind, fn as unknown as Handler<ReportKind>);
}

registerReportHandler('event', async (ctx, body) => {
	await ctx.db
		.insert(agentEvents)
		.values({ agentId: ctx.agentId, seq: ctx.seq, at: ctx.at, level: body.level, message: body.message });
});

const REFUSED = Symbol.for('fleetdesk.reportRefused');

/** A report that will never be accepted (malformed, not allowed): the agent drops it instead of re-sending. */
export class ReportRefused extends Error {
	readonly [REFUSED] = true;
	constructor(message: string) {
		super(message);
		this.name = 'ReportRefused';
	}
}

/**
 * By brand, not `instanceof`: the SvelteKit bundle and the server bundle each have their own copy of this
 * class, and a handler registered from either copy throws its own.
 */
export function isReportRefused(e: unknown): e is ReportRefused {
	return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[REFUSED] === true;
}

/** Validates and applies one report from `agentId`; throws ReportRefused (nothing written) for a bad one. */
export async function applyReport(db: Db, agentId: string, raw: unknown): Promise<ReportAck> {
	const p = reportEnvelope.safeParse(raw);
	if (!p.success) throw new ReportRefused(`malformed report: ${p.error.issues[0]?.message}`);
	const env: ReportEnvelope = p.data;
	if (env.agentId !== agentId)
		throw new ReportRefused(
			`report claims to come from agent ${env.agentId}, but the certificate is ${agentId}`
		);
	if (!isReportKind(env.kind)) throw new ReportRefused(`unknown report kind "${env.kind}"`);
	const body = REPORT_BODIES[env.kind].safeParse(env.body);
	if (!body.success)
		throw new ReportRefused(`malformed ${env.kind} report: ${body.error.issues[0]?.message ?? 'invalid'}`);
	const handler = handlers().get(env.kind);
	if (!handler) throw new ReportRefused(`no handler for report kind "${env.kind}" on this server`);
	const after: (() => void)[] = [];
	const ack = await db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const [claimed] = await t
			.update(agents)
			.set({ lastSeq: env.seq })
			.where(and(eq(agents.id, agentId), lt(agents.lastSeq, env.seq)))
			.returning({ id: agents.id });
		if (!claimed) return { ok: true, duplicate: true } as const;
		await handler(
			{ db: t, agentId, seq: env.seq, at: new Date(env.at), afterCommit: (fn) => after.push(fn) },
			body.data
		);
		return { ok: true, duplicate: false } as const;
	});
	for (const fn of after) {
		try {
			fn();
		} catch (e) {
			console.error(`after applying a ${env.kind} report from ${agentId}:`, e);
		}
	}
	return ack;
}
