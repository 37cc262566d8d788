// Where a Fleet window is, saved in its props so a reload (or another browser) comes back to it.

export const MAIN_TABS = ['devices', 'tokens', 'top', 'idle'] as const;
export type MainTab = (typeof MAIN_TABS)[number];

export const DEVICE_TABS = ['overview', 'inventory', 'resources', 'tasks', 'certificate', 'events'] as const;
export type DeviceTab = (typeof DEVICE_TABS)[number];

export interface FleetView {
	tab: MainTab;
	/** The device shown (its list key, e.g. "agent:<id>"), or null for the list. */
	device: string | null;
	deviceTab: DeviceTab;
}

const KEY_RE = /^(agent|ocs):[A-Za-z0-9-]{1,64}$/;

/** The view saved in a window's props; anything unknown or damaged falls back to the device list. */
export function parseView(props: Record<string, unknown>): FleetView {
	const tab = MAIN_TABS.includes(props.tab as MainTab) ? (props.tab as MainTab) : 'devices';
	const device = typeof props.device === 'string' && KEY_RE.test(props.device) ? props.device : null;
	const deviceTab = DEVICE_TABS.includes(props.deviceTab as DeviceTab)
		? (props.deviceTab as DeviceTab)
		: 'overview';
	return { tab, device: tab === 'devices' ? device : null, deviceTab };
}

/** Every key is written: the desktop merges props into the old ones, and a stale device must not survive. */
export function viewProps(v: FleetView): Record<string, unknown> {
	return { tab: v.tab, device: v.device, deviceTab: v.deviceTab };
}
