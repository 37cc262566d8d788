/**
 * How domain code tells live connections that sessions ended (lock, delete, sign-out), or that who may do what
 * changed (grants, roles, a user's roles, device groups). The realtime layer installs the real hooks at
 * start-up; the CLI installs ones that reach the servers.
 */
export interface LiveHooks {
	sessionsEnded(userId: number | null, sessionIds: string[], reason: string): void;
	accessChanged(): void;
}

const KEY = Symbol.for('fleetdesk.liveHooks');
const CHANGED = Symbol.for('fleetdesk.accessChangedAt');
type G = typeof globalThis & { [KEY]?: LiveHooks; [CHANGED]?: number };

export function setLiveHooks(h: LiveHooks): void {
	(globalThis as G)[KEY] = h;
}

export function live(): LiveHooks {
	return (globalThis as G)[KEY] ?? { sessionsEnded: () => {}, accessChanged: () => {} };
}

/** A user's roles as loaded for a connection are reloaded after this long, and after any access change. */
export const PRINCIPAL_TTL_MS = 5_000;

/** Access changed (here or on another node): everything loaded before now is stale. */
export function noteAccessChanged(): void {
	(globalThis as G)[CHANGED] = Date.now();
}

export function accessChangedAt(): number {
	return (globalThis as G)[CHANGED] ?? 0;
}

/** Whether what was loaded at `loadedAt` (taken before the load began) must be loaded again. */
export function staleSince(loadedAt: number, ttlMs = PRINCIPAL_TTL_MS): boolean {
	return Date.now() - loadedAt > ttlMs || loadedAt <= accessChangedAt();
}
