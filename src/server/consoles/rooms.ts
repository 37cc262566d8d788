// Who is in each console's room. Each node knows its own sockets and hears the other nodes' participants
// over the cluster bus (announced on every change and again every few seconds; a silent node's list
// expires). Every node sends `console:room` to its own sockets only, so nobody gets it twice.
import type { Namespace } from 'socket.io';
import type { Db } from '../db/client';
import { hasRuntime, runtime } from '../runtime';
import { consoleRoom, type ConsoleParticipant } from '../../lib/protocol/consoles';
import { sendBus } from './bus';
import { loadRoomInfo, mergeParticipants, roomState } from './room-info';
import { consoleState, type LocalViewer, type RoomInfo } from './state';

export const ANNOUNCE_EVERY_MS = 10_000;
const REMOTE_EXPIRES_MS = 35_000;

export function desktopNs(): Namespace | null {
	return hasRuntime() ? (runtime().io?.of('/desktop') ?? null) : null;
}

export function nodeId(): string {
	return hasRuntime() ? runtime().nodeId : 'local';
}

/** This node's participants of a room: one line per user, a window per socket. */
export function localParticipants(consoleId: number): ConsoleParticipant[] {
	const sockets = consoleState().viewers.get(consoleId);
	return sockets ? mergeParticipants([...sockets.values()].map((v) => [{ ...v, windows: 1 }])) : [];
}

function remoteLists(consoleId: number): ConsoleParticipant[][] {
	const nodes = consoleState().remote.get(consoleId);
	if (!nodes) return [];
	const fresh = Date.now() - REMOTE_EXPIRES_MS;
	const lists: ConsoleParticipant[][] = [];
	for (const [node, e] of nodes) {
		if (e.at < fresh) nodes.delete(node);
		else lists.push(e.participants);
	}
	return lists;
}

export function allParticipants(consoleId: number): ConsoleParticipant[] {
	return mergeParticipants([localParticipants(consoleId), ...remoteLists(consoleId)]);
}

/** Nodes other than this one with viewers of the console (output is forwarded only when there are some). */
export function remoteViewers(consoleId: number): boolean {
	return remoteLists(consoleId).some((l) => l.length > 0);
}

export function hasViewers(consoleId: number): boolean {
	return (consoleState().viewers.get(consoleId)?.size ?? 0) > 0 || remoteViewers(consoleId);
}

/** The console row as rooms need it, cached on this node while it has viewers or the agent's link. */
export async function roomInfo(db: Db, consoleId: number, fresh = false): Promise<RoomInfo | null> {
	const s = consoleState();
	const hit = s.rooms.get(consoleId);
	if (hit && !fresh) return hit;
	const info = await loadRoomInfo(db, consoleId);
	if (info) s.rooms.set(consoleId, info);
	else s.rooms.delete(consoleId);
	return info;
}

/** Sends the room's state to this node's sockets in it. */
export function emitRoomLocal(consoleId: number): void {
	const info = consoleState().rooms.get(consoleId);
	const ns = desktopNs();
	if (!info || !ns || !consoleState().viewers.get(consoleId)?.size) return;
	ns.local.to(consoleRoom(consoleId)).emit('console:room', roomState(info, allParticipants(consoleId)));
}

const infoListeners: ((consoleId: number, info: RoomInfo | null) => void)[] = [];
/** Called after a console's row changed on this node's view (the agent's node drops stale pipes). */
export function onRoomInfo(fn: (consoleId: number, info: RoomInfo | null) => void): void {
	infoListeners.push(fn);
}

async function apply(db: Db, consoleId: number, patch: Partial<RoomInfo> | undefined, load: boolean) {
	const had = consoleState().rooms.get(consoleId);
	if (patch && had) Object.assign(had, patch);
	else if (!patch || had) {
		if (!had && !load) return;
		await roomInfo(db, consoleId, true);
	} else return;
	emitRoomLocal(consoleId);
	const info = consoleState().rooms.get(consoleId) ?? null;
	for (const fn of infoListeners) fn(consoleId, info);
}

/** A console changed here: update this node's view and tell the others (with the change, or to reload). */
export async function roomChanged(db: Db, consoleId: number, patch?: Partial<RoomInfo>): Promise<void> {
	await apply(db, consoleId, patch, true);
	sendBus({ t: 'room', consoleId, ...(patch ? { patch } : {}) });
}

/**
 * Reads a room shown here again and tells its viewers if it changed: a change another node announced may
 * have been skipped on the bus (a gap it waited for in vain), and patches only carry what changed.
 */
export async function resyncRoom(db: Db, consoleId: number): Promise<void> {
	const had = consoleState().rooms.get(consoleId);
	const before = had ? JSON.stringify(had) : null;
	const info = await roomInfo(db, consoleId, true);
	if (JSON.stringify(info) === before) return;
	emitRoomLocal(consoleId);
	for (const fn of infoListeners) fn(consoleId, info);
}

/** Another node says a console changed; only rooms shown or run here care (others read it when needed). */
export function roomChangedElsewhere(db: Db, consoleId: number, patch?: Partial<RoomInfo>): Promise<void> {
	return apply(db, consoleId, patch, false);
}

export function addViewer(consoleId: number, socketId: string, v: LocalViewer): void {
	const s = consoleState();
	let m = s.viewers.get(consoleId);
	if (!m) s.viewers.set(consoleId, (m = new Map()));
	m.set(socketId, v);
	s.behind.get(consoleId)?.delete(socketId);
	participantsChanged(consoleId);
}

/** A viewer's mode changed (their grants did). */
export function setViewerMode(consoleId: number, socketId: string, mode: LocalViewer['mode']): void {
	const v = consoleState().viewers.get(consoleId)?.get(socketId);
	if (!v || v.mode === mode) return;
	v.mode = mode;
	participantsChanged(consoleId);
}

/** Removes a socket from a room; true when it was in it. */
export function removeViewer(consoleId: number, socketId: string): boolean {
	const s = consoleState();
	const m = s.viewers.get(consoleId);
	if (!m?.delete(socketId)) return false;
	if (!m.size) s.viewers.delete(consoleId);
	s.behind.get(consoleId)?.delete(socketId);
	participantsChanged(consoleId);
	return true;
}

const listeners: ((consoleId: number) => void)[] = [];
/** Called whenever a room's participants change on any node (the pipe's idle timer listens). */
export function onParticipantsChanged(fn: (consoleId: number) => void): void {
	listeners.push(fn);
}

function participantsChanged(consoleId: number): void {
	sendBus({ t: 'viewers', node: nodeId(), consoleId, participants: localParticipants(consoleId) });
	emitRoomLocal(consoleId);
	for (const fn of listeners) fn(consoleId);
}

export function remoteParticipants(
	node: string,
	consoleId: number,
	participants: ConsoleParticipant[]
): void {
	const s = consoleState();
	let nodes = s.remote.get(consoleId);
	if (!nodes) s.remote.set(consoleId, (nodes = new Map()));
	const before = JSON.stringify(nodes.get(node)?.participants ?? []);
	if (participants.length) nodes.set(node, { participants, at: Date.now() });
	else nodes.delete(node);
	if (!nodes.size) s.remote.delete(consoleId);
	if (before === JSON.stringify(participants)) return; // a periodic announcement: nothing new
	emitRoomLocal(consoleId);
	for (const fn of listeners) fn(consoleId);
}

/** Announce every room with viewers here (periodically, and when another node starts). */
export function announceAll(): void {
	for (const consoleId of consoleState().viewers.keys())
		sendBus({ t: 'viewers', node: nodeId(), consoleId, participants: localParticipants(consoleId) });
}
