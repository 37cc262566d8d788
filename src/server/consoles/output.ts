// Output to viewers: each chunk goes to this node's sockets in the room (encoded once, Socket.IO broadcast),
// and over the cluster bus only when another node has viewers. A socket whose engine write buffer has
// grown past a bound (it stopped reading) gets no more frames and one `console:behind`; it joins again to
// resync. So a stalled viewer costs the server a bounded amount of memory and never slows the others.
import type { Socket } from 'socket.io';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accessLogRecords } from '../db/schema/accesslog';
import { recentOutput } from '../accesslog';
import { consoleRoom } from '../../lib/protocol/consoles';
import { sendBus } from './bus';
import { desktopNs, remoteViewers } from './rooms';
import { Ring } from './ring';
import { consoleState, type RoomInfo } from './state';
import { outputTapped } from './macros/output-tap';

/** Engine packets queued for one socket before its bytes are counted (a binary event is two packets). */
const QUEUE_PACKETS_CHECK = 64;
const QUEUE_PACKETS_MAX = 4096;
const QUEUE_BYTES_MAX = 4 * 1024 * 1024;
const MIN_RING_BYTES = 64 * 1024;

function lagging(socket: Socket): boolean {
	const queue = (socket.conn as unknown as { writeBuffer?: { data?: unknown }[] }).writeBuffer;
	if (!queue || queue.length < QUEUE_PACKETS_CHECK) return false;
	if (queue.length > QUEUE_PACKETS_MAX) return true;
	let bytes = 0;
	for (const p of queue) {
		const d = p.data as { length?: number; byteLength?: number } | undefined;
		bytes += d?.byteLength ?? d?.length ?? 0;
	}
	return bytes > QUEUE_BYTES_MAX;
}

/** Sends one chunk to this node's sockets in the room, leaving out (and telling once) those behind. */
export function fanOutLocal(consoleId: number, seq: number, data: Uint8Array): void {
	outputTapped(consoleId, seq, data); // macro wait-for steps running on this node
	const ns = desktopNs();
	const s = consoleState();
	if (!ns || !s.viewers.has(consoleId)) return;
	const room = consoleRoom(consoleId);
	const members = ns.adapter.rooms.get(room);
	if (!members?.size) return;
	let behind = s.behind.get(consoleId);
	let skip = 0;
	for (const id of members) {
		if (behind?.has(id)) {
			skip++;
			continue;
		}
		const socket = ns.sockets.get(id);
		if (!socket || !lagging(socket)) continue;
		if (!behind) s.behind.set(consoleId, (behind = new Set()));
		behind.add(id);
		skip++;
		socket.emit('console:behind', { consoleId, dropped: 1 });
	}
	if (skip === members.size) return;
	const to = ns.local.to(room);
	(skip ? to.except([...behind!]) : to).emit('console:output', { consoleId, seq, data });
}

/**
 * Output of a pipe whose agent is linked here: into the ring, to viewers here and elsewhere. The ring keeps
 * the console's scrollback while someone watches; with nobody watching only what the access log has not
 * committed yet (`committed`: the room number stored so far), which a joining viewer gets after the stored log.
 */
export function pipeOutput(info: RoomInfo, seq: number, data: Uint8Array, committed: number): void {
	const s = consoleState();
	const remote = remoteViewers(info.id);
	let ring = s.rings.get(info.id);
	if (!ring) s.rings.set(info.id, (ring = new Ring(0, seq - 1)));
	ring.maxBytes = remote || s.viewers.has(info.id) ? Math.max(info.scrollbackBytes, MIN_RING_BYTES) : 0;
	ring.push(seq, data, committed);
	fanOutLocal(info.id, seq, data);
	if (remote) sendBus({ t: 'out', consoleId: info.id, seq, data });
}

/**
 * What a joining viewer gets first: the last `scrollbackBytes` of output and the room sequence number it ends
 * at. From the ring when it holds enough; otherwise the stored log, followed by what the ring holds after it
 * (output received but not yet committed).
 */
export async function scrollback(db: Db, info: RoomInfo): Promise<{ seq: number; data: Uint8Array }> {
	const max = info.scrollbackBytes;
	const ring = consoleState().rings.get(info.id);
	if (ring && ring.bytes >= max) return ring.snapshot(max);
	const r = await recentOutput(db, info.id, max);
	let stored = info.seqBase;
	if (r.lastId && info.pipeId) {
		const [last] = await db
			.select({ pipeId: accessLogRecords.pipeId })
			.from(accessLogRecords)
			.where(and(eq(accessLogRecords.consoleId, info.id), eq(accessLogRecords.seq, r.lastId)));
		if (last?.pipeId === info.pipeId) stored = info.seqBase + r.lastAgentSeq;
	}
	if (!ring || ring.lastSeq <= stored) return { seq: Math.max(stored, ring?.lastSeq ?? 0), data: r.data };
	const tail = ring.snapshot(max, stored);
	let data = Buffer.concat([r.data, tail.data]);
	if (data.length > max) data = data.subarray(data.length - max);
	return { seq: tail.seq, data };
}
