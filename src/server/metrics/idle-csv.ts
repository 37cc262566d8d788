// The idle-servers report as RFC 4180 CSV (CRLF line ends, quotes only where needed), in the table's order.
import { csvRecord } from '../cmdb/csv';
import type { IdleDevice, IdleQuery } from '../../lib/protocol/metrics';

export const IDLE_CSV_HEADER = [
	'Device',
	'Average CPU %',
	'Maximum CPU %',
	'Samples',
	'Data since (UTC)',
	'Last seen (UTC)'
];

export function idleCsv(rows: IdleDevice[]): string {
	return (
		csvRecord(IDLE_CSV_HEADER) +
		rows
			.map((r) =>
				csvRecord([
					r.name,
					r.avgCpu.toFixed(2),
					r.maxCpu.toFixed(2),
					String(r.samples),
					r.dataSince,
					r.lastSeenAt ?? ''
				])
			)
			.join('')
	);
}

/** `idle-servers-below-3pct-7d-2026-11-23.csv` */
export function idleCsvFilename(q: IdleQuery, now = new Date()): string {
	return `idle-servers-below-${q.thresholdPct}pct-${q.days}d-${now.toISOString().slice(0, 10)}.csv`;
}
