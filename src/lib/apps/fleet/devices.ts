// Filtering and sorting the device list (pure, so it is unit-tested without a browser).
import { osLabel } from './format';

/** The fields of a device row the list filters and sorts on. */
export interface ListedDevice {
	key: string;
	source: 'agent' | 'ocs';
	name: string;
	hostname: string;
	os: { platform: string; release?: string | null; arch?: string | null } | null;
	osName: string | null;
	agentVersion: string;
	online: boolean;
	revoked: boolean;
	lastSeenAt: string | null;
	lastInventoryAt: string | null;
	lastAddress: string;
	groups: { id: number; name: string }[];
}

export const STATE_FILTERS = ['all', 'online', 'offline', 'revoked', 'ocs'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];
export const STATE_FILTER_LABELS: Record<StateFilter, string> = {
	all: 'Any state',
	online: 'Online',
	offline: 'Offline',
	revoked: 'Revoked',
	ocs: 'OCS inventory only'
};

export const SORT_KEYS = [
	'name',
	'state',
	'os',
	'agentVersion',
	'groups',
	'lastInventoryAt',
	'lastSeenAt'
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export type DeviceState = 'online' | 'offline' | 'revoked' | 'ocs';

/** The inventory's OS name when there is one ("Debian GNU/Linux 12"), else what the agent said. */
export function deviceOs(d: Pick<ListedDevice, 'os' | 'osName'>): string {
	return d.osName ?? osLabel(d.os);
}

export function deviceState(d: ListedDevice): DeviceState {
	if (d.source === 'ocs') return 'ocs';
	if (d.revoked) return 'revoked';
	return d.online ? 'online' : 'offline';
}

export function matchesFilter(d: ListedDevice, q: string, state: StateFilter, groupId: number): boolean {
	if (state !== 'all' && deviceState(d) !== state) return false;
	if (groupId && !d.groups.some((g) => g.id === groupId)) return false;
	const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
	if (!words.length) return true;
	const text = [
		d.name,
		d.hostname,
		deviceOs(d),
		d.agentVersion,
		d.lastAddress,
		...d.groups.map((g) => g.name)
	]
		.join(' ')
		.toLowerCase();
	return words.every((w) => text.includes(w));
}

const STATE_ORDER: Record<DeviceState, number> = { online: 0, offline: 1, ocs: 2, revoked: 3 };

function sortValue(d: ListedDevice, key: SortKey): string | number {
	switch (key) {
		case 'name':
			return d.name.toLowerCase();
		case 'state':
			return STATE_ORDER[deviceState(d)];
		case 'os':
			return deviceOs(d).toLowerCase();
		case 'agentVersion':
			return d.agentVersion;
		case 'groups':
			return d.groups.map((g) => g.name.toLowerCase()).join(',');
		case 'lastInventoryAt':
		case 'lastSeenAt': {
			const v = d[key];
			// Never seen sorts as oldest.
			return v ? Date.parse(v) : 0;
		}
	}
}

/** A stable sort by `key`, ties broken by name. */
export function sortDevices<T extends ListedDevice>(rows: T[], key: SortKey, dir: 'asc' | 'desc'): T[] {
	const sign = dir === 'asc' ? 1 : -1;
	return [...rows].sort((a, b) => {
		const x = sortValue(a, key);
		const y = sortValue(b, key);
		const c =
			typeof x === 'string' && typeof y === 'string'
				? x.localeCompare(y, undefined, { numeric: true })
				: x < y
					? -1
					: x > y
						? 1
						: 0;
		return c * sign || a.name.localeCompare(b.name) || a.key.localeCompare(b.key);
	});
}
