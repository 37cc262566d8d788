// Gang connect: one socket joins up to GANG_MAX_CONSOLES consoles' rooms at once, each like a viewer's join
// (console.view on the device, the pipe opened if on demand, a 'join' in its access log) but with a small
// scrollback, so 200 consoles cost the server no more than a few hundred KiB per gang. Gang input goes to
// every console the socket joined, through the broker's one input path (console.write, one-writer lock, the
// access log under the user's name, the agent); the others are reported as skipped with the reason.
import type { Socket } from 'socket.io';
import { inArray, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoles, devices } from '../db/schema';
import type { SocketData } from '../realtime/guard';
import { CONSOLE_MAX_INPUT_BYTES, consoleRoom } from '../../lib/protocol/consoles';
import {
	GANG_MAX_CONSOLES,
	GANG_SCROLLBACK_BYTES,
	gangSkip,
	type GangInputAck,
	type GangMember,
	type GangOpenAck
} from '../../lib/protocol/gang';
import { deviceRef, rightsOn } from './access';
import { sendInput } from './input';
import { actorOf, roomsOf } from './join';
import { logEvent } from './logging';
import { logGangMacroEvent } from './macros/log';
import { scrollback } from './output';
import { openForViewer } from './pipes';
import { roomState } from './room-info';
import { addViewer, allParticipants, roomInfo } from './rooms';
import { consoleState, type RoomInfo } from './state';

/** Joins run this many at a time (each reads the database a few times). */
const JOIN_CONCURRENCY = 8;

export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
	const out: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const i = next++;
			out[i] = await fn(items[i]);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return out;
}

/** The recent output a gang member starts with: the tail of the ring here, or of the stored log. */
async function smallScrollback(db: Db, info: RoomInfo): Promise<{ seq: number; data: Uint8Array }> {
	const s = consoleState();
	// As for a single join: a ring kept from when the agent was linked here is no longer up to date.
	if (!info.agentId || !s.agents.has(info.agentId)) s.rings.delete(info.id);
	return scrollback(db, { ...info, scrollbackBytes: Math.min(info.scrollbackBytes, GANG_SCROLLBACK_BYTES) });
}

export async function deviceNames(db: Db, consoleIds: number[]): Promise<Map<number, string>> {
	if (!consoleIds.length) return new Map();
	const rows = await db
		.select({ id: consoles.id, name: devices.name })
		.from(consoles)
		.innerJoin(devices, eq(devices.id, consoles.deviceId))
		.where(inArray(consoles.id, consoleIds));
	return new Map(rows.map((r) => [r.id, r.name]));
}

async function gangJoin(
	db: Db,
	socket: Socket,
	consoleId: number,
	deviceName: string,
	size: number
): Promise<GangMember> {
	const d = socket.data as SocketData;
	const none = {
		consoleId,
		name: '',
		deviceName: '',
		mode: null,
		room: null,
		scrollback: new Uint8Array(0),
		seq: 0
	};
	const info = await roomInfo(db, consoleId, true);
	// Not found and not visible read the same, so a gang cannot probe which consoles exist.
	const rights = info ? rightsOn(d.principal, await deviceRef(db, info.deviceId)) : null;
	if (!info || !rights?.view)
		return {
			...none,
			skip: { reason: 'no-view', message: `There is no console ${consoleId} you may view.` }
		};
	const s = consoleState();
	const again = !!s.viewers.get(consoleId)?.has(socket.id);
	void socket.join(consoleRoom(consoleId));
	addViewer(consoleId, socket.id, { userId: d.userId, username: d.username, mode: rights.mode });
	await openForViewer(db, info, actorOf(d, socket.handshake.address));
	const now = s.rooms.get(consoleId) ?? info;
	const snap = await smallScrollback(db, now);
	if (!again) {
		const to = { consoleId, deviceId: info.deviceId };
		void logEvent(db, to, d, { event: 'join', mode: rights.mode });
		void logGangMacroEvent(db, to, d, { event: 'gang', action: 'join', size });
	}
	const room = roomState(now, allParticipants(consoleId));
	return {
		consoleId,
		name: info.name,
		deviceName,
		mode: rights.mode,
		room,
		skip: gangSkip(rights.mode, room, d.userId),
		scrollback: snap.data,
		seq: snap.seq
	};
}

/** Joins the consoles (again: a resync after `console:behind`); at most GANG_MAX_CONSOLES per socket. */
export async function gangOpen(db: Db, socket: Socket, consoleIds: number[]): Promise<GangOpenAck> {
	const ids = [...new Set(consoleIds)];
	const already = new Set(roomsOf(socket.id));
	const total = new Set([...already, ...ids]).size;
	if (total > GANG_MAX_CONSOLES)
		return { ok: false, error: `A gang holds at most ${GANG_MAX_CONSOLES} consoles: choose fewer.` };
	const names = await deviceNames(db, ids);
	const members = await mapLimit(ids, JOIN_CONCURRENCY, (id) =>
		gangJoin(db, socket, id, names.get(id) ?? '', total)
	);
	return { ok: true, members };
}

/** Sends the input to every console this socket joined (or the `only` ones of them). */
export async function gangInput(
	db: Db,
	socket: Socket,
	text: string,
	only?: number[]
): Promise<GangInputAck> {
	const data = Buffer.from(text, 'utf8');
	if (data.length > CONSOLE_MAX_INPUT_BYTES)
		return {
			ok: false,
			error: `That input is too large (${data.length} bytes; at most ${CONSOLE_MAX_INPUT_BYTES} at once): paste it in parts.`
		};
	if (!data.length) return { ok: true, sent: 0, skipped: [] };
	const d = socket.data as SocketData;
	const s = consoleState();
	let ids = roomsOf(socket.id);
	if (only) {
		const wanted = new Set(only);
		ids = ids.filter((id) => wanted.has(id));
	}
	const results = await Promise.all(
		ids.map(async (consoleId) => {
			const info = s.rooms.get(consoleId);
			if (!info) return { consoleId, reason: 'no-view' as const, message: 'This console is gone.' };
			const r = await sendInput(db, info, d, data);
			if (r.ok) return null;
			const why = gangSkip(
				rightsOn(d.principal, await deviceRef(db, info.deviceId)).mode,
				roomState(info, []),
				d.userId
			);
			return { consoleId, reason: why?.reason ?? r.reason, message: why?.message ?? r.error };
		})
	);
	const skipped = results.filter((r) => r !== null);
	return { ok: true, sent: ids.length - skipped.length, skipped };
}
