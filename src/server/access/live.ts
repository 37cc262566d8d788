/**
 * How domain code tells live connections that sessions ended (lock, delete, sign-out).
 * The realtime layer installs the real hook at start-up; the CLI installs one that reaches the servers.
 */
export interface LiveHooks {
	sessionsEnded(userId: number | null, sessionIds: string[], reason: string): void;
}

const KEY = Symbol.for('fleetdesk.liveHooks');
type G = typeof globalThis & { [KEY]?: LiveHooks };

export function setLiveHooks(h: LiveHooks): void {
	(globalThis as G)[KEY] = h;
}

export function live(): LiveHooks {
	return (globalThis as G)[KEY] ?? { sessionsEnded: () => {} };
}
