// Reading a console's access log for the replay player, page by page, and where its exports are.
import { trpc } from '$lib/trpc';
import type { ReplayRecord } from './timeline';

/** The player keeps at most this much in memory; a longer log is played from a chosen start. */
export const MAX_REPLAY_RECORDS = 200_000;
const PAGE = 2000;

function decodeBase64(s: string): Uint8Array {
	const bin = atob(s);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

export interface LoadResult {
	records: ReplayRecord[];
	/** The log has more after the last record loaded (over MAX_REPLAY_RECORDS). */
	truncated: boolean;
}

/**
 * Every record of the console's log from `fromAt` (epoch ms; null: the start), in order. `onpage` sees the
 * records so far after each page, so the player can start before the whole log has arrived.
 */
export async function loadReplay(
	consoleId: number,
	fromAt: number | null,
	onpage: (records: ReplayRecord[]) => void,
	signal: AbortSignal
): Promise<LoadResult> {
	const records: ReplayRecord[] = [];
	let afterSeq = 0;
	for (;;) {
		const page = await trpc.accessLogs.records.query(
			{
				consoleId,
				afterSeq,
				...(afterSeq === 0 && fromAt !== null ? { from: new Date(fromAt).toISOString() } : {}),
				limit: PAGE
			},
			{ signal }
		);
		for (const r of page.records)
			records.push({
				seq: r.seq,
				at: new Date(r.at).getTime(),
				kind: r.kind,
				username: r.username,
				data: decodeBase64(r.data)
			});
		onpage(records);
		if (!page.more || !page.records.length) return { records, truncated: false };
		if (records.length >= MAX_REPLAY_RECORDS) return { records, truncated: true };
		afterSeq = page.records[page.records.length - 1].seq;
	}
}

export const EXPORT_FORMATS = [
	{ id: 'asciicast', label: 'asciicast v2 (.cast)', hint: 'plays with asciinema play' },
	{ id: 'text', label: 'Text with timestamps (.txt)', hint: 'one line per output line' },
	{ id: 'raw', label: 'Raw bytes (.bin)', hint: 'the output stream as it came' }
] as const;

export function exportUrl(consoleId: number, format: (typeof EXPORT_FORMATS)[number]['id']): string {
	return `/api/access-logs/${consoleId}/${format}`;
}
