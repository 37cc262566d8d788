import { z } from 'zod';
import type { AgentStatusEvent, InventoryUpdateEvent, TaskUpdateEvent } from './agent';
import { CONSOLE_EVENTS, type ConsoleClientEvents, type ConsoleServerEvents } from './consoles';
import { GANG_EVENTS, type GangClientEvents, type GangServerEvents } from './gang';
import { LOGS_EVENTS, type LogsClientEvents, type LogsServerEvents } from './logs';

/** A window as saved in a user's layout. `app` is a key of the app registry. */
export const windowStateSchema = z.object({
	id: z.string().min(1).max(64),
	app: z.string().min(1).max(40),
	title: z.string().max(200).optional(),
	x: z.number().finite(),
	y: z.number().finite(),
	width: z.number().finite().min(120).max(10000),
	height: z.number().finite().min(80).max(10000),
	z: z.number().int().min(0),
	state: z.enum(['normal', 'minimized', 'maximized']),
	/** The state a minimised window comes back to. */
	restoreTo: z.enum(['normal', 'maximized']).optional(),
	props: z.record(z.string(), z.unknown()).optional()
});
export type WindowState = z.infer<typeof windowStateSchema>;

export const layoutSchema = z.object({
	version: z.literal(1),
	windows: z.array(windowStateSchema).max(50),
	activeId: z.string().nullable(),
	theme: z.enum(['light', 'dark', 'system']).default('system')
});
export type Layout = z.infer<typeof layoutSchema>;

export const notificationLevel = z.enum(['info', 'success', 'warning', 'error']);

export const notificationSchema = z.object({
	id: z.number().int(),
	title: z.string(),
	body: z.string(),
	level: notificationLevel,
	/** Who raised it: a username, or a subsystem such as "system". */
	from: z.string(),
	createdAt: z.string(),
	read: z.boolean(),
	/** A desktop link (`/?app=…`) to what the notification is about: a log line, a console, a device. */
	link: z.string().nullable()
});
export type Notification = z.infer<typeof notificationSchema>;

export const sendNotificationInput = z.object({
	audience: z.discriminatedUnion('type', [
		z.object({ type: z.literal('all') }),
		z.object({ type: z.literal('user'), userId: z.number().int().positive() }),
		z.object({ type: z.literal('role'), roleId: z.number().int().positive() })
	]),
	title: z.string().trim().min(1, 'Give the notification a title').max(200),
	body: z.string().max(4000).default(''),
	level: notificationLevel.default('info'),
	link: z
		.string()
		.max(2000)
		.regex(/^\/\?app=[a-z][a-z0-9-]*(&|$)/, 'A notification link is a desktop link such as /?app=logs&…')
		.optional()
});
export type SendNotificationInput = z.infer<typeof sendNotificationInput>;

/** Server → browser events on the /desktop namespace. */
export interface DesktopServerEvents extends ConsoleServerEvents, GangServerEvents, LogsServerEvents {
	notification: (n: Notification) => void;
	'session:ended': (reason: string) => void;
	/** To the 'fleet' room (users with agents.read): an agent went online, offline, or was revoked. */
	'agent:status': (e: AgentStatusEvent) => void;
	/** To the 'fleet' room: a task changed state, with live output while it runs. */
	'task:update': (e: TaskUpdateEvent) => void;
	/** To the 'fleet' room: a host's inventory was taken into the CMDB. */
	'inventory:update': (e: InventoryUpdateEvent) => void;
}

/** Browser → server events on the /desktop namespace. Each is listed with its permission in DESKTOP_EVENTS. */
export interface DesktopClientEvents extends ConsoleClientEvents, GangClientEvents, LogsClientEvents {
	'presence:get': (ack: (count: number) => void) => void;
}

export const DESKTOP_EVENTS = {
	'presence:get': 'system.read',
	...CONSOLE_EVENTS,
	...GANG_EVENTS,
	...LOGS_EVENTS
} as const satisfies Record<keyof DesktopClientEvents, string>;
