// Access-log events of gang connect and macros, in the broker's event format (kind 'event', data = one JSON
// object with an "event" name), attributed to the user: {"event":"macro","action":"start"|"done"|"stopped"|
// "timed-out"|"failed","macro":NAME,"macroId":…,"runId":…,"by":USER,…} and {"event":"gang","action":"join",
// "size":N}. The input itself is logged by the broker like typed input (src/server/consoles/input.ts).
import type { Db } from '../../db/client';
import { appendAccessLog } from '../../accesslog';
import type { LogTarget, LogUser } from '../logging';

export type GangMacroEvent =
	| { event: 'gang'; action: 'join'; size: number }
	| {
			event: 'macro';
			action: 'start' | 'done' | 'stopped' | 'timed-out' | 'failed';
			macro: string;
			macroId: number;
			runId: string;
			by: string;
			step?: number;
			steps: number;
			message?: string;
	  };

export function logGangMacroEvent(db: Db, to: LogTarget, user: LogUser, e: GangMacroEvent): Promise<void> {
	return appendAccessLog(db, {
		consoleId: to.consoleId,
		deviceId: to.deviceId,
		kind: 'event',
		at: new Date(),
		userId: user.userId,
		username: user.username,
		data: Buffer.from(JSON.stringify(e), 'utf8')
	}).catch((err: Error) =>
		console.error(`consoles: the access log refused a ${e.event} event: ${err.message}`)
	);
}
