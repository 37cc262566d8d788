// Permission checks on a console's device. Device group membership is read at most every few seconds per
// device (keystrokes must not wait for the database); the user's roles are reloaded as often by the socket guard.
import type { Db } from '../db/client';
import { can, loadDeviceRef, type DeviceRef, type Principal } from '../auth/permissions';
import type { ConsoleMode } from '../../lib/protocol/consoles';
import { staleSince } from '../access/live';

const TTL_MS = 5_000;
const refs = new Map<number, { ref: DeviceRef; at: number }>();

export async function deviceRef(db: Db, deviceId: number): Promise<DeviceRef> {
	const hit = refs.get(deviceId);
	if (hit && !staleSince(hit.at, TTL_MS)) return hit.ref;
	const at = Date.now();
	const ref = await loadDeviceRef(db, deviceId);
	if (refs.size > 10_000) refs.clear();
	refs.set(deviceId, { ref, at });
	return ref;
}

export interface ConsoleRights {
	view: boolean;
	mode: ConsoleMode;
	canBreak: boolean;
}

export function rightsOn(p: Principal, ref: DeviceRef): ConsoleRights {
	const view = can(p, 'console.view', ref);
	return {
		view,
		mode: view && can(p, 'console.write', ref) ? 'write' : 'view',
		canBreak: view && can(p, 'console.break', ref)
	};
}
