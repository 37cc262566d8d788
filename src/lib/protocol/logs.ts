/**
 * The log viewer's contracts (files on agent hosts, the journal, pattern-rule events, file-watch events):
 * link events between server and agent, and /desktop events between browser and server. Merged into
 * protocol/agent.ts and protocol/desktop.ts like the console events.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogsAgentToServerEvents {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogsServerToAgentEvents {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogsClientEvents {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogsServerEvents {}

/** The permission each browser event needs (global, or on the device it names). */
export const LOGS_EVENTS = {} as const satisfies Record<keyof LogsClientEvents, string>;
