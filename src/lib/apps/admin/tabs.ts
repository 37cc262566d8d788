import type { GlobalAction } from '$lib/protocol/permissions';

export type TabId = 'users' | 'roles' | 'groups' | 'grants' | 'audit' | 'sessions';

/** The sections of Users & Access, each shown only to users with its permission. */
export const TABS: readonly { id: TabId; label: string; permission: GlobalAction }[] = [
	{ id: 'users', label: 'Users', permission: 'users.manage' },
	{ id: 'roles', label: 'Roles', permission: 'roles.manage' },
	{ id: 'groups', label: 'Device groups', permission: 'groups.manage' },
	{ id: 'grants', label: 'Grants', permission: 'grants.manage' },
	{ id: 'audit', label: 'Audit log', permission: 'audit.read' },
	{ id: 'sessions', label: 'Sessions', permission: 'sessions.manage' }
];
