// Reading the log back for a console's scrollback.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';

const PAGE = 64;

interface Row {
	seq: string | number;
	agent_seq: string | number | null;
	data: Uint8Array;
}

/**
 * The tail of a console's output, at most `maxBytes` (cut after a newline when one is near the cut, so the
 * scrollback starts on a line of its own). `lastId` is the seq of the newest record read (0 if none),
 * `lastAgentSeq` the agent's sequence number of the newest output with one (0 if none).
 */
export async function recentOutput(
	db: Db,
	consoleId: number,
	maxBytes: number
): Promise<{ data: Uint8Array; lastId: number; lastAgentSeq: number }> {
	const parts: Uint8Array[] = [];
	let total = 0;
	let lastId = 0;
	let lastAgentSeq = 0;
	let before = Number.MAX_SAFE_INTEGER;
	while (total < maxBytes) {
		const rows = await queryRows<Row>(
			db,
			sql`select seq, agent_seq, data from access_log_records
				where console_id = ${consoleId} and kind = 'output' and seq < ${before}
				order by seq desc limit ${PAGE}`
		);
		for (const r of rows) {
			if (!lastId) lastId = Number(r.seq);
			if (!lastAgentSeq && r.agent_seq !== null) lastAgentSeq = Number(r.agent_seq);
			parts.push(r.data);
			total += r.data.byteLength;
			if (total >= maxBytes) break;
		}
		if (rows.length < PAGE) break;
		before = Number(rows[rows.length - 1].seq);
	}
	parts.reverse();
	const all = Buffer.concat(parts);
	let start = Math.max(0, all.length - maxBytes);
	if (start > 0) {
		const nl = all.indexOf(0x0a, start);
		if (nl >= 0 && nl - start < 4096) start = nl + 1;
	}
	return { data: new Uint8Array(all.subarray(start)), lastId, lastAgentSeq };
}
