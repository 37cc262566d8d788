// One writer at a time (conserver's lock): the writer is kept on the console row, so every node agrees.
// request: take the keyboard if nobody holds it (or the holder left), else ask the holder; release: give it
// up; handover: the holder gives it to another participant who may write; take: seize it (console.break).
import type { Socket } from 'socket.io';
import { and, eq, isNull, or, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles, users } from '../db/schema';
import type { SocketData } from '../realtime/guard';
import { audit } from '../audit/audit';
import type { ConsoleAck } from '../../lib/protocol/consoles';
import { deviceRef, rightsOn } from './access';
import { actorOf } from './join';
import { logEvent } from './logging';
import { allParticipants, desktopNs, roomChanged } from './rooms';
import { consoleState } from './state';

export type ControlAction = 'request' | 'release' | 'handover' | 'take';

export async function consoleControl(
	db: Db,
	socket: Socket,
	consoleId: number,
	action: ControlAction,
	target?: number
): Promise<ConsoleAck> {
	const s = consoleState();
	const info = s.viewers.get(consoleId)?.has(socket.id) ? s.rooms.get(consoleId) : undefined;
	if (!info) return { ok: false, error: 'Join the console first.' };
	if (!info.oneWriter)
		return { ok: false, error: 'This console has no writer lock: everyone who may write can type.' };
	const d = socket.data as SocketData;
	const rights = rightsOn(d.principal, await deviceRef(db, info.deviceId));
	if (rights.mode !== 'write') return { ok: false, error: 'You may only view this console.' };
	const here = allParticipants(consoleId);
	const me = { userId: d.userId, username: d.username };
	const holder = info.writer;
	let to: { userId: number; username: string } | null;
	let when: SQL;
	if (action === 'request') {
		if (holder?.userId === d.userId) return { ok: true };
		if (holder && here.some((p) => p.userId === holder.userId)) {
			desktopNs()
				?.to(`user:${holder.userId}`)
				.emit('console:control-request', { consoleId, ...me });
			return { ok: true };
		}
		to = me;
		when = holder ? eq(consoles.writerId, holder.userId) : isNull(consoles.writerId);
	} else if (action === 'release') {
		if (holder?.userId !== d.userId) return { ok: false, error: 'You do not hold the keyboard.' };
		to = null;
		when = eq(consoles.writerId, d.userId);
	} else if (action === 'handover') {
		if (holder?.userId !== d.userId)
			return { ok: false, error: 'Only the writer can hand the keyboard over.' };
		const p = here.find((x) => x.userId === target);
		if (!p || p.mode !== 'write')
			return { ok: false, error: 'Hand the keyboard to someone in this console who may write.' };
		to = { userId: p.userId, username: p.username };
		when = eq(consoles.writerId, d.userId);
	} else if (action === 'take') {
		if (!rights.canBreak)
			return { ok: false, error: 'Taking the keyboard needs the console.break grant on this device.' };
		to = me;
		when = holder
			? or(eq(consoles.writerId, holder.userId), isNull(consoles.writerId))!
			: isNull(consoles.writerId);
	} else return { ok: false, error: 'Unknown control action.' };

	const [row] = await db
		.update(consoles)
		.set({ writerId: to?.userId ?? null })
		.where(and(eq(consoles.id, consoleId), when))
		.returning({ id: consoles.id });
	if (!row) return { ok: false, error: 'Someone else changed who holds the keyboard; try again.' };
	if (to && to.userId !== d.userId) {
		const [u] = await db.select({ username: users.username }).from(users).where(eq(users.id, to.userId));
		if (u) to.username = u.username;
	}
	await roomChanged(db, consoleId, { writer: to });
	void logEvent(db, { consoleId, deviceId: info.deviceId }, d, {
		event: 'control',
		action,
		writer: to?.username ?? null,
		by: d.username
	});
	if (action === 'take' && holder && holder.userId !== d.userId)
		await audit(db, actorOf(d, socket.handshake.address), {
			action: 'console.take',
			targetType: 'console',
			targetId: consoleId,
			targetName: info.name,
			before: { writer: holder.username },
			after: { writer: d.username }
		});
	return { ok: true };
}
