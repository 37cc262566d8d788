// Joining and leaving a console's room. A join checks console.view on the device, opens the pipe if the
// console is on demand, and answers with the mode, the room and the scrollback; the viewer then gets live
// output numbered after it.
import type { Socket } from 'socket.io';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles } from '../db/schema';
import type { SocketData } from '../realtime/guard';
import { loadPrincipal } from '../auth/permissions';
import { consoleRoom, type ConsoleJoinAck } from '../../lib/protocol/consoles';
import { deviceRef, rightsOn } from './access';
import { requestSnapshot } from './bus';
import { logEvent } from './logging';
import { scrollback } from './output';
import { openForViewer } from './pipes';
import {
	addViewer,
	allParticipants,
	desktopNs,
	nodeId,
	removeViewer,
	roomChanged,
	roomInfo,
	setViewerMode
} from './rooms';
import { roomState } from './room-info';
import { consoleState, type RoomInfo } from './state';
import { staleSince } from '../access/live';

export function actorOf(d: SocketData, ip = '') {
	return { id: d.userId, name: d.username, ip };
}

/** Scrollback from here when the agent's link is here; else from its node; else from the stored log. */
async function scrollbackFor(db: Db, info: RoomInfo): Promise<{ seq: number; data: Uint8Array }> {
	const s = consoleState();
	if (info.agentId && s.agents.has(info.agentId)) return scrollback(db, info);
	s.rings.delete(info.id); // held from when the agent was linked here: no longer kept up to date
	if (info.agentOnline) {
		const snap = await requestSnapshot(info.id, nodeId());
		if (snap) return { seq: snap.seq, data: snap.data };
	}
	return scrollback(db, info);
}

export async function joinConsole(db: Db, socket: Socket, consoleId: number): Promise<ConsoleJoinAck> {
	const d = socket.data as SocketData;
	const info = await roomInfo(db, consoleId, true);
	if (!info) return { ok: false, error: `There is no console ${consoleId}; choose another.` };
	const rights = rightsOn(d.principal, await deviceRef(db, info.deviceId));
	if (!rights.view)
		return { ok: false, error: 'You may not view this console (no console.view grant on its device).' };
	const s = consoleState();
	const again = !!s.viewers.get(consoleId)?.has(socket.id);
	void socket.join(consoleRoom(consoleId));
	addViewer(consoleId, socket.id, { userId: d.userId, username: d.username, mode: rights.mode });
	await openForViewer(db, info, actorOf(d, socket.handshake.address));
	const now = s.rooms.get(consoleId) ?? info;
	const snap = await scrollbackFor(db, now);
	if (!again)
		void logEvent(db, { consoleId, deviceId: info.deviceId }, d, { event: 'join', mode: rights.mode });
	return {
		ok: true,
		mode: rights.mode,
		canBreak: rights.canBreak,
		room: roomState(now, allParticipants(consoleId)),
		scrollback: snap.data,
		seq: snap.seq
	};
}

/** The socket leaves the room (or went away); a writer who left every window gives up the keyboard. */
export async function leaveConsole(db: Db, socket: Socket, consoleId: number): Promise<void> {
	const d = socket.data as SocketData;
	void socket.leave(consoleRoom(consoleId));
	if (!removeViewer(consoleId, socket.id)) return;
	const info = consoleState().rooms.get(consoleId);
	if (!info) return;
	void logEvent(db, { consoleId, deviceId: info.deviceId }, d, { event: 'leave' });
	if (info.writer?.userId !== d.userId || allParticipants(consoleId).some((p) => p.userId === d.userId))
		return;
	const [row] = await db
		.update(consoles)
		.set({ writerId: null })
		.where(and(eq(consoles.id, consoleId), eq(consoles.writerId, d.userId)))
		.returning({ id: consoles.id });
	if (!row) return;
	await roomChanged(db, consoleId, { writer: null });
	void logEvent(db, { consoleId, deviceId: info.deviceId }, d, {
		event: 'control',
		action: 'left',
		writer: null
	});
}

/** Every room this socket is in, for its disconnect. */
export function roomsOf(socketId: string): number[] {
	const out: number[] = [];
	for (const [id, m] of consoleState().viewers) if (m.has(socketId)) out.push(id);
	return out;
}

/**
 * Output is pushed, not asked for, so grants are checked again now and then for everyone in a room: a user
 * who lost console.view is put out (with a notice); one whose mode changed shows the new mode.
 */
export async function recheckViewers(db: Db): Promise<void> {
	const ns = desktopNs();
	if (!ns) return;
	const s = consoleState();
	const fresh = new Map<number, SocketData['principal']>();
	for (const [consoleId, viewers] of [...s.viewers]) {
		const info = s.rooms.get(consoleId);
		if (!info) continue;
		const ref = await deviceRef(db, info.deviceId);
		for (const socketId of [...viewers.keys()]) {
			const socket = ns.sockets.get(socketId);
			if (!socket) {
				removeViewer(consoleId, socketId);
				continue;
			}
			const d = socket.data as SocketData;
			if (staleSince(d.principalAt)) {
				const at = Date.now();
				let p = fresh.get(d.userId);
				if (!p) fresh.set(d.userId, (p = await loadPrincipal(db, { id: d.userId, username: d.username })));
				d.principal = p;
				d.principalAt = at;
			}
			const rights = rightsOn(d.principal, ref);
			if (!rights.view) {
				socket.emit('console:notice', {
					consoleId,
					level: 'error',
					message: 'You may no longer view this console: your access to its device was removed.'
				});
				await leaveConsole(db, socket, consoleId);
			} else setViewerMode(consoleId, socketId, rights.mode);
		}
	}
}
