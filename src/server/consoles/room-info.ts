// A console as its room shows it, read in one query; and the room's status line built from it.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agents, consoles, users } from '../db/schema';
import type { ConsoleParticipant, ConsoleRoomState, PipeState } from '../../lib/protocol/consoles';
import type { RoomInfo } from './state';

export async function loadRoomInfo(db: Db, consoleId: number): Promise<RoomInfo | null> {
	const [r] = await db
		.select({
			id: consoles.id,
			name: consoles.name,
			deviceId: consoles.deviceId,
			agentId: consoles.agentId,
			kind: consoles.kind,
			persistent: consoles.persistent,
			oneWriter: consoles.oneWriter,
			scrollbackBytes: consoles.scrollbackBytes,
			enabled: consoles.enabled,
			stoppedAt: consoles.stoppedAt,
			pipeId: consoles.pipeId,
			pipeState: consoles.pipeState,
			pipeMessage: consoles.pipeMessage,
			seqBase: consoles.seqBase,
			writerId: consoles.writerId,
			writerName: users.username,
			agentOnline: sql<boolean>`${agents.connectionId} is not null and ${agents.revokedAt} is null`
		})
		.from(consoles)
		.leftJoin(users, eq(users.id, consoles.writerId))
		.leftJoin(agents, eq(agents.id, consoles.agentId))
		.where(eq(consoles.id, consoleId));
	if (!r) return null;
	return {
		id: r.id,
		name: r.name,
		deviceId: r.deviceId,
		agentId: r.agentId,
		kind: r.kind,
		persistent: r.persistent,
		oneWriter: r.oneWriter,
		scrollbackBytes: r.scrollbackBytes,
		enabled: r.enabled,
		stopped: !!r.stoppedAt,
		pipeId: r.pipeId,
		pipeState: r.pipeState as PipeState | 'stopped',
		pipeMessage: r.pipeMessage,
		seqBase: Number(r.seqBase),
		writer: r.writerId && r.writerName ? { userId: r.writerId, username: r.writerName } : null,
		agentOnline: !!r.agentOnline
	};
}

/** What the status line says: stopped (nobody wants a pipe), offline (no agent link), or the pipe's state. */
export function roomStatus(
	r: Pick<
		RoomInfo,
		'agentId' | 'enabled' | 'stopped' | 'agentOnline' | 'pipeId' | 'pipeState' | 'pipeMessage'
	>
): { state: ConsoleRoomState['state']; message: string | null } {
	if (!r.agentId)
		return { state: 'offline', message: 'No agent runs this console: choose one in its settings.' };
	if (!r.enabled) return { state: 'stopped', message: 'This console is disabled.' };
	if (r.stopped) return { state: 'stopped', message: 'This console was stopped; start it to connect.' };
	if (!r.agentOnline)
		return { state: 'offline', message: 'The agent that runs this console is not connected.' };
	if (!r.pipeId) return { state: 'stopped', message: null };
	return { state: r.pipeState, message: r.pipeMessage };
}

/** Participants merged over nodes: one line per user, windows added up, write if any window may write. */
export function mergeParticipants(lists: Iterable<ConsoleParticipant[]>): ConsoleParticipant[] {
	const by = new Map<number, ConsoleParticipant>();
	for (const list of lists)
		for (const p of list) {
			const had = by.get(p.userId);
			if (!had) by.set(p.userId, { ...p });
			else {
				had.windows += p.windows;
				if (p.mode === 'write') had.mode = 'write';
			}
		}
	return [...by.values()].sort((a, b) => a.username.localeCompare(b.username) || a.userId - b.userId);
}

export function roomState(r: RoomInfo, participants: ConsoleParticipant[]): ConsoleRoomState {
	const { state, message } = roomStatus(r);
	return {
		consoleId: r.id,
		state,
		message,
		participants,
		writer: r.oneWriter ? r.writer : null,
		oneWriter: r.oneWriter
	};
}
