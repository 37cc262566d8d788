import { SHOW_COLUMNS, type ShowColumnUnit, type ShowResult } from '../../../src/lib/protocol/tasks';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1536 → "1.5 KiB"; one decimal below 100, none above; binary units. */
export function formatBytes(n: number): string {
	if (!Number.isFinite(n)) return '-';
	if (n < 1024) return `${Math.max(0, Math.round(n))} B`;
	let v = n;
	let u = 0;
	while (v >= 1024 && u < UNITS.length - 1) {
		v /= 1024;
		u++;
	}
	// 1023.96 KiB would print as "1024 KiB"; show it as the next unit instead.
	if (Math.round(v) >= 1024 && u < UNITS.length - 1) {
		v /= 1024;
		u++;
	}
	return `${v < 100 ? v.toFixed(1) : Math.round(v).toString()} ${UNITS[u]}`;
}

export function formatCell(value: unknown, unit: ShowColumnUnit): string {
	if (value === null || value === undefined) return '-';
	switch (unit) {
		case 'bytes':
			return formatBytes(Number(value));
		case 'percent':
			return Number(value).toFixed(1);
		case 'int':
			return String(Math.round(Number(value)));
		default:
			return String(value);
	}
}

/** An aligned text table: numbers to the right, text to the left, two spaces between columns. */
export function formatShowTable(result: ShowResult): string {
	const columns = SHOW_COLUMNS[result.table] as { key: string; label: string; unit: ShowColumnUnit }[];
	const cells = (result.rows as unknown as Record<string, unknown>[]).map((row) =>
		columns.map((c) => formatCell(row[c.key], c.unit))
	);
	const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((r) => r[i].length)));
	const line = (values: string[]) =>
		values
			.map((v, i) => (columns[i].unit === 'text' ? v.padEnd(widths[i]) : v.padStart(widths[i])))
			.join('  ')
			.trimEnd();
	return [line(columns.map((c) => c.label)), ...cells.map(line)].join('\n') + '\n';
}
