// The server calls the viewer makes, behind one small interface per kind of source so the documents
// (doc-lines, doc-journal, doc-filter) do not care whether lines come from an agent or the access log.
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '$server/trpc/router';
import { trpc } from '$lib/trpc';
import type {
	LogCursor,
	LogFilterInput,
	LogFilterResult,
	LogFollowResult,
	LogPosition,
	LogReadResult
} from '$protocol/logs';
import { agentSource, type ViewSource } from './source';
import { accessReader } from './api-access';

/**
 * Follow and filter calls wait on the agent (a follow up to several seconds for a line to arrive). They go
 * unbatched, so a long poll never holds back the other calls the desktop makes in the same tick.
 */
const unbatched = createTRPCClient<AppRouter>({ links: [httpLink({ url: '/api/trpc' })] });

export interface LineReader {
	read(from: LogPosition, count: number, before: number, signal?: AbortSignal): Promise<LogReadResult>;
	follow(after: LogCursor, max: number, waitMs: number, signal?: AbortSignal): Promise<LogFollowResult>;
	filter(
		filter: LogFilterInput,
		from: LogCursor | null,
		limit: number,
		signal?: AbortSignal
	): Promise<LogFilterResult>;
}

function agentReader(deviceId: number, source: NonNullable<ReturnType<typeof agentSource>>): LineReader {
	return {
		read: (from, count, before, signal) =>
			trpc.logs.read.query({ deviceId, source, from, count, before }, { signal }),
		follow: (after, max, waitMs, signal) =>
			unbatched.logs.follow.query({ deviceId, source, after, max, waitMs }, { signal }),
		filter: (filter, from, limit, signal) =>
			unbatched.logs.filter.query({ deviceId, source, filter, from, limit }, { signal })
	};
}

/** The reader for a source: the device's agent for files and the journal, the server for access logs. */
export function readerFor(s: ViewSource): LineReader {
	if (s.kind === 'access') return accessReader(s.consoleId, unbatched);
	return agentReader(s.deviceId, agentSource(s)!);
}

export type Unbatched = typeof unbatched;
