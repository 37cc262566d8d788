// What the log viewer's read procedures share: the device's agent once the user's logs.read grant on it is
// confirmed, and one operation on a source of it, answered without the agent's `ok` and `op` tags.
import { can, loadDeviceRef, type Principal } from '../auth/permissions';
import { UserError } from '../errors';
import type { Db } from '../db/client';
import type { LogSource, LogsOp, LogsOpResult } from '../../lib/protocol/logs';
import { deviceAgent, runLogsOp, type DeviceAgent } from './agent-ops';

/** The device's agent, once the user's logs.read grant on it is confirmed. */
export async function readableAgent(db: Db, user: Principal, deviceId: number): Promise<DeviceAgent> {
	if (!can(user, 'logs.read', await loadDeviceRef(db, deviceId)))
		throw new UserError(
			'You may not read logs on this device (no logs.read grant on its groups).',
			'FORBIDDEN'
		);
	return deviceAgent(db, deviceId);
}

/** What an operation answers, without the `ok` and `op` tags. */
export type LogsAnswer<K extends LogsOp['op']> = Omit<
	Extract<LogsOpResult, { ok: true; op: K }>,
	'ok' | 'op'
>;

/** Runs `op` on the source for a user who may read the device's logs, as that user. */
export async function readLogs<K extends LogsOp['op']>(
	db: Db,
	user: Principal,
	on: { deviceId: number; source: LogSource },
	op: Extract<LogsOp, { op: K }>
): Promise<LogsAnswer<K>> {
	const a = await readableAgent(db, user, on.deviceId);
	const { op: _op, ok: _ok, ...r } = await runLogsOp<K>(db, a, on.source, op, user.username);
	return r;
}
