import { trpc } from '$lib/trpc';
import type { FleetDevice } from '../types';

/**
 * Asks devices for their inventory now and says in one sentence what happened. OCS hosts are left out: their
 * agent reports on its own schedule and takes no requests.
 */
export async function requestInventory(devices: FleetDevice[]): Promise<string> {
	const asked = devices.filter((d) => d.source === 'agent' && !d.revoked && d.deviceId !== null);
	const left = devices.length - asked.length;
	const leftNote = left ? ` ${left} left out (OCS-only or revoked).` : '';
	if (!asked.length) throw new Error(`None of these devices can be asked for an inventory.${leftNote}`);
	const r = await trpc.inventory.requestNow.mutate({ deviceIds: asked.map((d) => d.deviceId as number) });
	const skipped = r.skipped.length ? ` Skipped ${r.skipped.length}: ${r.skipped[0].reason}` : '';
	return `Asked ${r.started.length} ${r.started.length === 1 ? 'device' : 'devices'} for an inventory.${skipped}${leftNote}`;
}
