// What the broker writes to the access log besides output: input (attributed to the user who typed it) and
// room events (kind 'event', data = one JSON object: {"event": "join" | "leave" | "break" | "control" |
// "input-dropped" | "pipe", ...details}). Appends are queued in call order and committed in batches within
// ~10 ms; a failure is only logged here (the writer retries until the database is gone).
import type { Db } from '../db/client';
import { appendAccessLog } from '../accesslog';

export interface LogTarget {
	consoleId: number;
	deviceId: number;
}

export interface LogUser {
	userId: number;
	username: string;
}

export type RoomEvent =
	| { event: 'join' | 'leave'; mode?: 'view' | 'write' }
	| { event: 'break' }
	| { event: 'control'; action: string; writer: string | null; by?: string }
	| { event: 'input-dropped'; reason: string; bytes: number; count?: number }
	| { event: 'pipe'; state: string; message?: string }
	| { event: 'start' | 'stop'; message?: string };

function failed(e: Error): void {
	console.error(`consoles: the access log refused a record: ${e.message}`);
}

/** Keystrokes or a paste, queued before they are sent to the agent (so the log has them first). */
export function logInput(db: Db, to: LogTarget, user: LogUser, data: Uint8Array): Promise<void> {
	return appendAccessLog(db, {
		consoleId: to.consoleId,
		deviceId: to.deviceId,
		kind: 'input',
		at: new Date(),
		userId: user.userId,
		username: user.username,
		data
	}).catch(failed);
}

export function logEvent(db: Db, to: LogTarget, user: LogUser | null, e: RoomEvent): Promise<void> {
	return appendAccessLog(db, {
		consoleId: to.consoleId,
		deviceId: to.deviceId,
		kind: 'event',
		at: new Date(),
		userId: user?.userId ?? null,
		username: user?.username ?? null,
		data: Buffer.from(JSON.stringify(e), 'utf8')
	}).catch(failed);
}
