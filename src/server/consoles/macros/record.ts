// Recording a macro from a console: "start" notes where the console's access log ends; "stop" reads back the
// input this user typed into it since then (only their own, attributed to them by the broker) and turns the
// keystrokes into lines to edit. Both need console.write on the console's device: you can only record where
// you can type.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { queryRows } from '../../db/client';
import { consoles } from '../../db/schema';
import { loadDeviceRef, type Principal } from '../../auth/permissions';
import { UserError } from '../../errors';
import { MACRO_MAX_STEPS } from '../../../lib/protocol/gang';
import { rightsOn } from '../access';
import { keystrokesToLines, type TypedLines } from './keystrokes';

/** Input read back at most (a recording is a few commands, not a session's worth of pastes). */
const MAX_RECORDED_BYTES = 1024 * 1024;

async function mayRecord(db: Db, p: Principal, consoleId: number): Promise<void> {
	const [c] = await db
		.select({ deviceId: consoles.deviceId })
		.from(consoles)
		.where(eq(consoles.id, consoleId));
	const rights = c ? rightsOn(p, await loadDeviceRef(db, c.deviceId)) : null;
	if (!rights?.view) throw new UserError(`There is no console ${consoleId} you may view.`, 'NOT_FOUND');
	if (rights.mode !== 'write')
		throw new UserError('You may only view this console, so there is nothing to record.', 'FORBIDDEN');
}

/** Where the recording starts: the console's last access-log record now. */
export async function recordStart(db: Db, p: Principal, consoleId: number): Promise<{ fromSeq: number }> {
	await mayRecord(db, p, consoleId);
	const [r] = await queryRows<{ s: string | number | null }>(
		db,
		sql`select last_seq as s from access_log_heads where console_id = ${consoleId}`
	);
	return { fromSeq: Number(r?.s ?? 0) };
}

/** The lines this user typed into the console after `fromSeq`. */
export async function recorded(
	db: Db,
	p: Principal,
	consoleId: number,
	fromSeq: number
): Promise<TypedLines> {
	await mayRecord(db, p, consoleId);
	const rows = await queryRows<{ data: Uint8Array }>(
		db,
		sql`select data from access_log_records
			where console_id = ${consoleId} and seq > ${fromSeq} and kind = 'input' and user_id = ${p.userId}
			order by seq limit 20000`
	);
	const parts: Uint8Array[] = [];
	let bytes = 0;
	for (const r of rows) {
		if (bytes + r.data.byteLength > MAX_RECORDED_BYTES) break;
		parts.push(r.data);
		bytes += r.data.byteLength;
	}
	return keystrokesToLines(new TextDecoder().decode(Buffer.concat(parts)), MACRO_MAX_STEPS);
}
