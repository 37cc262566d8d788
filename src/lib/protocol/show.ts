import { z } from 'zod';

/**
 * The `show` task kind and `fleetdesk-agent show`: the same tables on every OS. JSON carries raw numbers
 * (bytes, percent); formatShowTable prints them the way the agent's CLI, the admin CLI and the desktop do.
 */

export const SHOW_TABLES = ['cpus', 'filesystems', 'memory', 'processes'] as const;
export type ShowTable = (typeof SHOW_TABLES)[number];

/** Default number of processes in the `processes` table (top N by CPU). */
export const SHOW_PROCESSES_DEFAULT_LIMIT = 50;

export const showArgsSchema = z.strictObject({
	table: z.enum(SHOW_TABLES),
	/** processes only: how many rows, top by CPU (default 50). */
	limit: z.number().int().min(1).max(100_000).optional(),
	/** processes only: every process, no limit. */
	all: z.boolean().optional()
});
export type ShowArgs = z.output<typeof showArgsSchema>;

export interface ShowCpuRow {
	/** CPU index, 0-based. */
	cpu: number;
	user: number;
	system: number;
	/** I/O wait; null where the OS does not report it. */
	wait: number | null;
	idle: number;
}
export interface ShowFilesystemRow {
	size: number;
	avail: number;
	usedPct: number;
	mount: string;
	device: string;
	type: string;
}
export interface ShowMemoryRow {
	kind: 'real' | 'swap';
	total: number;
	used: number;
	/** For real memory: available to programs without swapping (includes reclaimable cache). */
	free: number;
}
export interface ShowProcessRow {
	pid: number;
	/** Virtual size, bytes. */
	size: number;
	/** Resident size, bytes. */
	res: number;
	/** Percent of one CPU over the sample (can exceed 100 for multi-threaded processes). */
	cpu: number;
	name: string;
}
export interface ShowRowsByTable {
	cpus: ShowCpuRow;
	filesystems: ShowFilesystemRow;
	memory: ShowMemoryRow;
	processes: ShowProcessRow;
}
export type ShowResult<T extends ShowTable = ShowTable> = {
	[K in T]: { table: K; rows: ShowRowsByTable[K][] };
}[T];

export type ShowColumnUnit = 'int' | 'percent' | 'bytes' | 'text';
export interface ShowColumn<T extends ShowTable = ShowTable> {
	key: keyof ShowRowsByTable[T] & string;
	label: string;
	unit: ShowColumnUnit;
}

export const SHOW_COLUMNS: { [T in ShowTable]: ShowColumn<T>[] } = {
	cpus: [
		{ key: 'cpu', label: 'CPU', unit: 'int' },
		{ key: 'user', label: 'USER%', unit: 'percent' },
		{ key: 'system', label: 'SYS%', unit: 'percent' },
		{ key: 'wait', label: 'WAIT%', unit: 'percent' },
		{ key: 'idle', label: 'IDLE%', unit: 'percent' }
	],
	filesystems: [
		{ key: 'size', label: 'SIZE', unit: 'bytes' },
		{ key: 'avail', label: 'AVAIL', unit: 'bytes' },
		{ key: 'usedPct', label: 'USED%', unit: 'percent' },
		{ key: 'mount', label: 'MOUNT', unit: 'text' },
		{ key: 'device', label: 'DEVICE', unit: 'text' },
		{ key: 'type', label: 'TYPE', unit: 'text' }
	],
	memory: [
		{ key: 'kind', label: 'MEMORY', unit: 'text' },
		{ key: 'total', label: 'TOTAL', unit: 'bytes' },
		{ key: 'used', label: 'USED', unit: 'bytes' },
		{ key: 'free', label: 'FREE', unit: 'bytes' }
	],
	processes: [
		{ key: 'pid', label: 'PID', unit: 'int' },
		{ key: 'size', label: 'SIZE', unit: 'bytes' },
		{ key: 'res', label: 'RES', unit: 'bytes' },
		{ key: 'cpu', label: 'CPU%', unit: 'percent' },
		{ key: 'name', label: 'NAME', unit: 'text' }
	]
};

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
