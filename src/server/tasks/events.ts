import { hasRuntime, runtime } from '../runtime';
import { FLEET_ROOM, type TaskUpdateEvent } from '../../lib/protocol/agent';

/** Tells desktops that may see agents (room 'fleet') that a task changed, with live output while it runs. */
export function emitTaskUpdate(ev: TaskUpdateEvent): void {
	if (!hasRuntime()) return;
	runtime().io?.of('/desktop').to(FLEET_ROOM).emit('task:update', ev);
}
