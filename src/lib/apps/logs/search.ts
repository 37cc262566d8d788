// Search across every access log the user may read (the server's trigram index finds the lines): the call,
// and the grouping of hits by device and then by hour, the way the results are shown.
import { trpc } from '$lib/trpc';

export type AccessSearchResult = Awaited<ReturnType<typeof trpc.accessLogs.search.query>>;
/** One matching line of an access log. */
export type AccessHit = AccessSearchResult['hits'][number];

export interface AccessSearchInput {
	query: string;
	regex: boolean;
	ignoreCase: boolean;
	from?: string;
	to?: string;
	limit: number;
}

export function searchAccessLogs(input: AccessSearchInput): Promise<AccessSearchResult> {
	return trpc.accessLogs.search.query(input);
}

export interface HitGroup {
	device: string;
	hours: { hour: string; hits: AccessHit[] }[];
	count: number;
}

/** Devices by name; within each, hours newest first; within an hour, hits in time order. */
export function groupHits(hits: readonly AccessHit[]): HitGroup[] {
	const devices = new Map<string, Map<string, AccessHit[]>>();
	for (const h of hits) {
		const hour = h.at.slice(0, 13);
		let byHour = devices.get(h.deviceName);
		if (!byHour) devices.set(h.deviceName, (byHour = new Map()));
		byHour.set(hour, [...(byHour.get(hour) ?? []), h]);
	}
	return [...devices.entries()]
		.sort((a, b) => a[0].localeCompare(b[0]))
		.map(([device, byHour]) => {
			const hours = [...byHour.entries()]
				.sort((a, b) => b[0].localeCompare(a[0]))
				.map(([hour, list]) => ({
					hour,
					hits: [...list].sort((a, b) => a.at.localeCompare(b.at) || a.line - b.line)
				}));
			return { device, hours, count: hours.reduce((n, h) => n + h.hits.length, 0) };
		});
}
