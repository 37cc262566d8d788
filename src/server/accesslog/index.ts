// The access log's writer API, called by the console broker for every chunk in and out of every console.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';
import type { AccessLogKind } from '../db/schema/accesslog';
import { closeWriter, flushAll, writerFor } from './writer';

export interface AccessLogEntry {
	consoleId: number;
	deviceId: number | null;
	kind: AccessLogKind;
	at: Date;
	/** Input: who typed it (kept even if the user is deleted later). */
	userId?: number | null;
	username?: string | null;
	/** Output: the pipe and its per-pipe sequence number; output already stored for that pipe is dropped. */
	pipeId?: string | null;
	agentSeq?: number | null;
	data: Uint8Array;
}

/** One record's data at most (the agent sends ≤ 64 KiB, browsers ≤ 64 KiB of input). */
export const MAX_RECORD_BYTES = 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KINDS: readonly string[] = ['output', 'input', 'event'];
const isId = (n: unknown) => Number.isSafeInteger(n) && (n as number) > 0 && (n as number) <= 2 ** 31 - 1;

/**
 * Appends one record to the console's access log. Resolves once it is committed (batched with others within
 * ~10 ms); calls for one console are stored in call order. When much is queued, the promise also waits for
 * room before the entry is queued. A bad entry is refused at once: nothing that reaches the queue can fail.
 */
export function appendAccessLog(db: Db, entry: AccessLogEntry): Promise<void> {
	const e = entry;
	if (!isId(e.consoleId)) return Promise.reject(new Error('An access-log record needs a console id.'));
	if (e.deviceId !== null && !isId(e.deviceId))
		return Promise.reject(new Error('An access-log record has a bad device id.'));
	if (!KINDS.includes(e.kind)) return Promise.reject(new Error(`"${e.kind}" is not an access-log kind.`));
	if (!(e.at instanceof Date) || !Number.isFinite(e.at.getTime()))
		return Promise.reject(new Error('An access-log record needs a valid time.'));
	if (!(e.data instanceof Uint8Array) || e.data.byteLength > MAX_RECORD_BYTES)
		return Promise.reject(new Error(`An access-log record holds at most ${MAX_RECORD_BYTES} bytes.`));
	if (e.userId != null && !isId(e.userId))
		return Promise.reject(new Error('Bad user id in an access-log record.'));
	if (e.pipeId != null && !UUID.test(e.pipeId))
		return Promise.reject(new Error('Bad pipe id in an access-log record.'));
	if (e.agentSeq != null && !(Number.isSafeInteger(e.agentSeq) && e.agentSeq >= 0))
		return Promise.reject(new Error('Bad agent sequence number in an access-log record.'));
	return writerFor(db).append({
		consoleId: e.consoleId,
		deviceId: e.deviceId,
		kind: e.kind,
		at: new Date(e.at.getTime()),
		userId: e.userId ?? null,
		// PostgreSQL text cannot hold NUL.
		username: e.username == null ? null : e.username.replace(/\0/g, '').slice(0, 200),
		pipeId: e.pipeId?.toLowerCase() ?? null,
		agentSeq: e.agentSeq ?? null,
		// The caller may reuse its buffer once this returns.
		data: Buffer.from(e.data)
	});
}

/** Waits until everything appended so far is committed (shutdown; before closing a database call closeAccessLog). */
export function flushAccessLog(): Promise<void> {
	return flushAll();
}

/** Flushes and forgets the writer of one database (before the database is closed). */
export function closeAccessLog(db: Db): Promise<void> {
	return closeWriter(db);
}

/** Waits until the text lines (search, line view) have caught up with everything committed so far. */
export async function waitForLineIndex(db: Db): Promise<void> {
	await writerFor(db).flush();
	await writerFor(db).indexer.settle();
}

/** Bytes queued and not yet committed for this database: a broker may slow its readers when this grows. */
export function accessLogBacklog(db: Db): number {
	return writerFor(db).backlog;
}

/** The highest agent sequence number stored for a pipe (0 if none): the agent resends what follows. */
export async function storedOutputSeq(db: Db, pipeId: string): Promise<number> {
	if (!UUID.test(pipeId)) return 0;
	const [r] = await queryRows<{ s: string | number | null }>(
		db,
		sql`select max(agent_seq) as s from access_log_records where pipe_id = ${pipeId.toLowerCase()}`
	);
	return Number(r?.s ?? 0);
}

export { recentOutput } from './reads';
export { verifyAccessLog, type VerifyResult, type ConsoleVerdict, type ChainProblem } from './verify';
export { setAccessLogMasterKey } from './key';
export { startAccessLogForwarding, type ForwardingHandle } from './forward/runner';
