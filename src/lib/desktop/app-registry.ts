import type { Component } from 'svelte';
import type { Action } from '$protocol/permissions';

/** What every app component receives from the window that hosts it. */
export interface AppProps {
	windowId: string;
	/** App-specific state saved with the layout (e.g. which tab is open). */
	props: Record<string, unknown>;
	/** Change the window title (shown in the title bar and taskbar). */
	setTitle: (title: string) => void;
	/** Persist app-specific state with the layout. */
	setProps: (props: Record<string, unknown>) => void;
	/** Open another window (of this or another app) with initial props, e.g. a CI in its own window. */
	openWindow: (appId: string, props?: Record<string, unknown>) => void;
}

export interface AppDefinition {
	id: string;
	title: string;
	/** SVG path data for a 24×24 icon (stroke-drawn). */
	icon: string;
	/** The user needs one of these actions to see the app; the server checks every call the app makes anyway. */
	permissions: readonly Action[];
	defaultSize: { width: number; height: number };
	load: () => Promise<{ default: Component<AppProps> }>;
}

/** Every desktop app. A new app is a folder in src/lib/apps/ and one entry here. */
export const APPS: AppDefinition[] = [
	{
		id: 'admin',
		title: 'Users & Access',
		icon: 'M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM22 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75',
		permissions: [
			'users.manage',
			'roles.manage',
			'groups.manage',
			'grants.manage',
			'audit.read',
			'sessions.manage'
		],
		defaultSize: { width: 920, height: 600 },
		load: () => import('$lib/apps/admin/AdminApp.svelte')
	},
	{
		id: 'cmdb',
		title: 'CMDB',
		icon: 'M12 3c4.97 0 9 1.34 9 3s-4.03 3-9 3-9-1.34-9-3 4.03-3 9-3zM21 12c0 1.66-4 3-9 3s-9-1.34-9-3M3 6v12c0 1.66 4 3 9 3s9-1.34 9-3V6',
		permissions: ['cmdb.read'],
		defaultSize: { width: 1040, height: 640 },
		load: () => import('$lib/apps/cmdb/CmdbApp.svelte')
	},
	{
		id: 'fleet',
		title: 'Fleet',
		icon: 'M3 4h18v6H3zM3 14h18v6H3zM7 7h.01M7 17h.01M11 7h6M11 17h6',
		permissions: ['agents.read'],
		defaultSize: { width: 1100, height: 660 },
		load: () => import('$lib/apps/fleet/FleetApp.svelte')
	},
	{
		id: 'consoles',
		title: 'Consoles',
		icon: 'M3 4h18v16H3zM7 9l3 3-3 3M12 15h5',
		permissions: ['console.view', 'consoles.manage'],
		defaultSize: { width: 980, height: 620 },
		load: () => import('$lib/apps/consoles/ConsolesApp.svelte')
	},
	{
		id: 'logs',
		title: 'Logs',
		icon: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6M8 13h8M8 17h8M8 9h2',
		permissions: ['logs.read'],
		defaultSize: { width: 1040, height: 640 },
		load: () => import('$lib/apps/logs/LogsApp.svelte')
	},
	{
		id: 'about',
		title: 'About Fleetdesk',
		icon: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 16v-4M12 8h.01',
		permissions: ['system.read'],
		defaultSize: { width: 460, height: 420 },
		load: () => import('$lib/apps/about/AboutApp.svelte')
	}
];

export function findApp(id: string): AppDefinition | undefined {
	return APPS.find((a) => a.id === id);
}

export function appsFor(actions: readonly string[]): AppDefinition[] {
	return APPS.filter((a) => a.permissions.some((p) => actions.includes(p)));
}

const loaded = new Map<string, ReturnType<AppDefinition['load']>>();

/** Loads an app's code once, on first use, however many windows of it are open. */
export function loadApp(app: AppDefinition): ReturnType<AppDefinition['load']> {
	let p = loaded.get(app.id);
	if (!p) {
		p = app.load();
		// A failed load (e.g. the network dropped) may be retried by opening the app again.
		p.catch(() => loaded.delete(app.id));
		loaded.set(app.id, p);
	}
	return p;
}
