// What an agent module (tasks, inventory, metrics, …) gets from the agent: the link, the report buffer, the
// config. Modules never touch the socket themselves, so every link (re)connection is handled in one place.
import type {
	AgentSettings,
	AgentToServerEvents,
	ReportBody,
	ReportKind,
	ServerToAgentEvents
} from '../../../src/lib/protocol/agent';
import type { AgentConfig } from '../config';
import type { Logger } from '../log';
import type { Identity } from '../store';
import type { TaskHandler } from '../tasks/runner';

export interface ModuleContext {
	identity: Identity;
	cfg: AgentConfig;
	log: Logger;
	/** Queues a report: buffered while disconnected, sent in order, applied once. False if it was dropped. */
	report<K extends ReportKind>(kind: K, body: ReportBody<K>): boolean;
	/** Reports waiting to be sent: more than one or two means the link is down or slow (metrics batch then). */
	backlog(): number;
	/** Handles a server → agent event on every link this agent opens. */
	on<E extends keyof ServerToAgentEvents>(event: E, fn: ServerToAgentEvents[E]): void;
	/** Called each time the link is ready (after the server accepted the hello), with the server's settings. */
	onReady(fn: (settings: AgentSettings) => void): void;
	/** Called each time a ready link goes down. */
	onDown(fn: () => void): void;
	/** Sends a live event now (not buffered); false when the link is not ready. */
	emit<E extends keyof AgentToServerEvents>(event: E, ...args: Parameters<AgentToServerEvents[E]>): boolean;
	/** Bytes queued on the socket and not yet written: stream producers slow down past a bound. */
	pendingBytes(): number;
	/** The settings of the last accepted hello; null before the first. */
	settings(): AgentSettings | null;
	/** Runs a task kind this module implements (inventory); the tasks module verifies before calling it. */
	registerTask(kind: string, handler: TaskHandler): void;
	/** The task kinds other modules registered (read by the tasks module when a task arrives). */
	taskHandlers(): Readonly<Record<string, TaskHandler>>;
	/** Aborted when the agent stops. */
	signal: AbortSignal;
}

export interface AgentModule {
	name: string;
	start(ctx: ModuleContext): void;
}
