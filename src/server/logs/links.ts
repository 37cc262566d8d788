// Desktop links into the Logs app (`/?app=logs&…`, the shape src/lib/desktop/deep-link.ts reads): bookmarks,
// the line a pattern rule matched, the event of a changed file.
import type { LogEventSource } from '../../lib/protocol/logs';

export function logsLink(props: Record<string, string | number>): string {
	const q = new URLSearchParams({ app: 'logs' });
	for (const [k, v] of Object.entries(props)) q.set(k, String(v));
	return `/?${q}`;
}

/** Where an event points: its line in the file or access log; a file change opens the event itself. */
export function eventLink(e: {
	id: number;
	deviceId: number | null;
	source: LogEventSource | null;
	at: Date;
}): string {
	const s = e.source;
	if (s?.type === 'file' && e.deviceId !== null)
		return logsLink({
			device: e.deviceId,
			path: s.path,
			...(s.offset !== null ? { offset: s.offset } : {}),
			event: e.id
		});
	if (s?.type === 'journal' && e.deviceId !== null)
		return logsLink({ device: e.deviceId, journal: 1, at: e.at.toISOString(), event: e.id });
	if (s?.type === 'console') return logsLink({ console: s.consoleId, at: e.at.toISOString(), event: e.id });
	return logsLink({ event: e.id });
}
