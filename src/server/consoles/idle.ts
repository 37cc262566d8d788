// On-demand (non-persistent) consoles: the node holding the agent's link closes the pipe a grace period after
// the last viewer anywhere left. It hears every node's participants, so it alone decides.
import type { Db } from '../db/client';
import { SYSTEM_ACTOR } from '../audit/audit';
import { closePipe } from './pipes';
import { hasViewers } from './rooms';
import { hasRuntime, runtime } from '../runtime';
import { consoleState } from './state';

/** How long a non-persistent console's pipe stays open with nobody watching (FLEETDESK_CONSOLE_IDLE_SECONDS). */
function idleCloseMs(): number {
	return hasRuntime() ? runtime().config.consoles.idleCloseMs : 30_000;
}

export function checkIdle(db: Db, consoleId: number): void {
	const s = consoleState();
	const info = s.rooms.get(consoleId);
	const timer = s.idle.get(consoleId);
	const idle =
		!!info &&
		!info.persistent &&
		!!info.pipeId &&
		info.pipeState !== 'stopped' &&
		!!info.agentId &&
		s.agents.has(info.agentId) &&
		!hasViewers(consoleId);
	if (!idle) {
		if (timer) clearTimeout(timer);
		s.idle.delete(consoleId);
		return;
	}
	if (timer) return;
	const after = idleCloseMs();
	const t = setTimeout(() => {
		s.idle.delete(consoleId);
		const now = s.rooms.get(consoleId);
		if (!now || now.persistent || hasViewers(consoleId) || now.pipeId !== info.pipeId) return;
		void closePipe(db, consoleId, SYSTEM_ACTOR, {
			message: `Closed after ${after / 1000} s without viewers; it opens again when someone joins.`
		}).catch((e) =>
			console.error(`consoles: closing idle console ${consoleId} failed:`, (e as Error).message)
		);
	}, after);
	t.unref();
	s.idle.set(consoleId, t);
}
