// What one app node knows about consoles right now. SvelteKit's bundle (tRPC) and the server entry (socket
// handlers, agent gateway) each carry a copy of this module, so the state lives on globalThis, like the runtime.
import { randomUUID } from 'node:crypto';
import type { ConsoleParticipant, ConsoleMode, PipeState } from '../../lib/protocol/consoles';
import type { AgentSocket } from '../agents/gateway';
import type { Ring } from './ring';

/** A console as rooms need it (one query: src/server/consoles/room-info.ts). */
export interface RoomInfo {
	id: number;
	name: string;
	deviceId: number;
	agentId: string | null;
	kind: string;
	persistent: boolean;
	oneWriter: boolean;
	scrollbackBytes: number;
	enabled: boolean;
	stopped: boolean;
	pipeId: string | null;
	pipeState: PipeState | 'stopped';
	pipeMessage: string | null;
	seqBase: number;
	writer: { userId: number; username: string } | null;
	agentOnline: boolean;
	/** Without a writer lock, resize follows the user whose input passed last. */
	lastWriterId?: number | null;
}

/** One browser socket in a console's room on this node. */
export interface LocalViewer {
	userId: number;
	username: string;
	mode: ConsoleMode;
}

/** A pipe whose agent is linked to this node: where its output stands. */
export interface PipeTrack {
	pipeId: string;
	consoleId: number;
	deviceId: number;
	agentId: string;
	/** Room sequence number = base + the agent's sequence number. */
	base: number;
	/** Highest agent sequence number handed to the access log (committed or not). */
	accepted: number;
	/** Highest agent sequence number the access log has committed. */
	committed: number;
	/** Highest number acknowledged to the agent with pipe:stored. */
	acked: number;
	ackTimer: ReturnType<typeof setTimeout> | null;
}

export interface ConsoleNodeState {
	/** Console rows of rooms with viewers here, or of pipes whose agent is linked here. */
	rooms: Map<number, RoomInfo>;
	/** consoleId → socket id → viewer, for sockets on this node. */
	viewers: Map<number, Map<string, LocalViewer>>;
	/** consoleId → node → that node's participants (announced over the cluster bus). */
	remote: Map<number, Map<string, { participants: ConsoleParticipant[]; at: number }>>;
	/** consoleId → sockets that fell behind: no output until they join again. */
	behind: Map<number, Set<string>>;
	/** consoleId → recent output, on the node that holds the agent's link. */
	rings: Map<number, Ring>;
	pipes: Map<string, PipeTrack>;
	/** Agent links held by this node. */
	agents: Map<string, AgentSocket>;
	/** consoleId → the user whose input passed last (resize follows them when there is no writer lock). */
	lastWriter: Map<number, number>;
	/** consoleId → the terminal size the writer last set (used when a new pipe opens). */
	sizes: Map<number, { cols: number; rows: number }>;
	/** consoleId → timer that closes a non-persistent console's pipe once nobody watches. */
	idle: Map<number, ReturnType<typeof setTimeout>>;
	/** This process on the cluster bus: its id and the number of the last message it sent. */
	bus: { instance: string; sent: number };
}

const KEY = Symbol.for('fleetdesk.consoles');
type G = typeof globalThis & { [KEY]?: ConsoleNodeState };

export function consoleState(): ConsoleNodeState {
	return ((globalThis as G)[KEY] ??= {
		rooms: new Map(),
		viewers: new Map(),
		remote: new Map(),
		behind: new Map(),
		rings: new Map(),
		pipes: new Map(),
		agents: new Map(),
		lastWriter: new Map(),
		sizes: new Map(),
		idle: new Map(),
		bus: { instance: randomUUID(), sent: 0 }
	});
}
