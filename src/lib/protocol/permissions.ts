/**
 * Every action a user can be allowed to do. Global actions come from roles; device actions are granted
 * per role × device group. Shared by server (enforcement) and browser (hiding what a user can't use).
 */
export const GLOBAL_ACTIONS = [
	'desktop.use',
	'system.read',
	'users.manage',
	'roles.manage',
	'groups.manage',
	'grants.manage',
	'audit.read',
	'sessions.manage',
	'notifications.send',
	'cmdb.read',
	'cmdb.write',
	'cmdb.model',
	'agents.read',
	'agents.manage',
	'consoles.manage',
	'logs.manage'
] as const;

export const DEVICE_ACTIONS = [
	'console.view',
	'console.write',
	'console.break',
	'power',
	'tasks.run',
	'logs.read'
] as const;

export type GlobalAction = (typeof GLOBAL_ACTIONS)[number];
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];
export type Action = GlobalAction | DeviceAction;

export const ACTION_LABELS: Record<Action, string> = {
	'desktop.use': 'Use the desktop',
	'system.read': 'See system information',
	'users.manage': 'Manage users',
	'roles.manage': 'Manage roles',
	'groups.manage': 'Manage device groups',
	'grants.manage': 'Manage grants',
	'audit.read': 'Read the audit log',
	'sessions.manage': 'End other users’ sessions',
	'notifications.send': 'Send notifications',
	'cmdb.read': 'Read the CMDB',
	'cmdb.write': 'Change CIs, relations and documents; import CSV',
	'cmdb.model': 'Change the CMDB data model',
	'agents.read': 'See agents, their state and join tokens',
	'agents.manage': 'Create join tokens and revoke agents',
	'consoles.manage': 'Create, change and delete consoles and their credentials',
	'logs.manage': 'Manage log pattern rules, watched files and access-log forwarding',
	'console.view': 'View consoles',
	'console.write': 'Type into consoles',
	'console.break': 'Send break / take over consoles',
	power: 'Power on, off and cycle',
	'tasks.run': 'Run tasks',
	'logs.read': 'Read logs'
};

export function isDeviceAction(a: string): a is DeviceAction {
	return (DEVICE_ACTIONS as readonly string[]).includes(a);
}

export function isGlobalAction(a: string): a is GlobalAction {
	return (GLOBAL_ACTIONS as readonly string[]).includes(a);
}

export const ALL_ACTIONS: readonly Action[] = [...GLOBAL_ACTIONS, ...DEVICE_ACTIONS];
