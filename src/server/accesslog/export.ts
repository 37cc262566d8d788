// Exports of one console's log, streamed page by page: asciicast v2 (plays with `asciinema play`), text with
// timestamps, and the raw output bytes.
import type { Db } from '../db/client';
import type { AccessLogKind } from '../db/schema/accesslog';
import type { LogConsole } from './access';
import { rawQuery } from './raw';
import { seqAt } from './replay';
import { splitOutput, stripAnsi } from './text';

export const EXPORT_FORMATS = ['asciicast', 'text', 'raw'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRecord {
	seq: number;
	at: Date;
	kind: AccessLogKind;
	username: string | null;
	data: Uint8Array;
}

export interface ExportRange {
	from?: Date;
	to?: Date;
}

const PAGE = 256;

/** The console's records in order, within the range, fetched a page at a time. */
export async function* exportRecords(
	db: Db,
	consoleId: number,
	range: ExportRange,
	kinds: AccessLogKind[] = ['output', 'input', 'event']
): AsyncGenerator<ExportRecord> {
	let after = range.from ? Math.max(0, (await seqAt(db, consoleId, range.from)) - 1) : 0;
	for (;;) {
		const rows = await rawQuery<{
			seq: string | number;
			at: Date | string;
			kind: AccessLogKind;
			username: string | null;
			data: Uint8Array;
		}>(
			db,
			`select seq, at, kind, username, data from access_log_records
			where console_id = $1 and seq > $2 and kind = any($3::text[]) and ($4::timestamptz is null or at <= $4)
			order by seq limit ${PAGE}`,
			[consoleId, after, kinds, range.to ?? null]
		);
		for (const r of rows) {
			after = Number(r.seq);
			yield { seq: after, at: new Date(r.at), kind: r.kind, username: r.username, data: r.data };
		}
		if (rows.length < PAGE) return;
	}
}

/** The room event of an 'event' record as one line ("alice joined (write)"). */
export function describeEvent(username: string | null, data: Uint8Array): string {
	let e: Record<string, unknown>;
	try {
		e = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
	} catch {
		return stripAnsi(new TextDecoder().decode(data));
	}
	const who = username ?? 'system';
	const detail = Object.entries(e)
		.filter(([k]) => k !== 'event')
		.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
		.join(' ');
	return stripAnsi(`${who}: ${String(e.event ?? 'event')}${detail ? ` ${detail}` : ''}`);
}

/** Typed input made readable: Enter as ⏎, other control keys in caret notation (^C, ^[[A). */
export function describeInput(data: Uint8Array): string {
	return (
		new TextDecoder()
			.decode(data)
			.replace(/\r\n?|\n/g, '⏎')
			.replace(/\t/g, '⇥')
			// eslint-disable-next-line no-control-regex
			.replace(/[\x00-\x1f\x7f]/g, (c) =>
				c === '\x7f' ? '^?' : `^${String.fromCharCode(c.charCodeAt(0) + 64)}`
			)
			.replace(/[\x80-\x9f]/g, (c) => `<${c.charCodeAt(0).toString(16)}>`)
	);
}

function size(records: ExportRecord[]): { width: number; height: number } {
	for (const r of records) {
		if (r.kind !== 'event') continue;
		try {
			const e = JSON.parse(new TextDecoder().decode(r.data)) as {
				event?: string;
				cols?: number;
				rows?: number;
			};
			if (e.event === 'resize' && e.cols && e.rows) return { width: e.cols, height: e.rows };
		} catch {
			/* not JSON */
		}
	}
	return { width: 80, height: 24 };
}

/**
 * asciicast v2: a JSON header, then one [time, code, data] line per record: "o" output, "i" input, "m" a
 * marker for room events. Times are seconds from the first record; bytes are decoded as UTF-8 across records.
 */
export async function* asciicast(db: Db, c: LogConsole, range: ExportRange): AsyncGenerator<string> {
	const records = exportRecords(db, c.consoleId, range);
	// The first page tells the terminal size (a resize event) and the start time.
	const head: ExportRecord[] = [];
	let done = false;
	while (head.length < 64) {
		const n = await records.next();
		if (n.done) {
			done = true;
			break;
		}
		head.push(n.value);
	}
	const start = (range.from ?? head[0]?.at ?? new Date()).getTime();
	const { width, height } = size(head);
	yield (
		JSON.stringify({
			version: 2,
			width,
			height,
			timestamp: Math.floor(start / 1000),
			title: `${c.consoleName}${c.deviceName ? ` on ${c.deviceName}` : ''}`,
			env: { TERM: 'xterm-256color', SHELL: '/bin/sh' }
		}) + '\n'
	);
	const out = new TextDecoder('utf-8');
	const inp = new TextDecoder('utf-8');
	let last = 0;
	const line = (r: ExportRecord): string | null => {
		const t = Math.max(last, (r.at.getTime() - start) / 1000);
		last = t;
		let code: string;
		let text: string;
		if (r.kind === 'output') [code, text] = ['o', out.decode(r.data, { stream: true })];
		else if (r.kind === 'input') [code, text] = ['i', inp.decode(r.data, { stream: true })];
		else [code, text] = ['m', describeEvent(r.username, r.data)];
		if (!text) return null;
		return JSON.stringify([Number(t.toFixed(6)), code, text]) + '\n';
	};
	for (const r of head) {
		const l = line(r);
		if (l) yield l;
	}
	if (done) return;
	for await (const r of records) {
		const l = line(r);
		if (l) yield l;
	}
}

const stamp = (d: Date) => d.toISOString();

/**
 * Text: each output line (escapes removed) prefixed by the time it was completed; input as
 * "[input alice] ls -la⏎"; room events as "[event] alice: join mode=write".
 */
export async function* textExport(db: Db, c: LogConsole, range: ExportRange): AsyncGenerator<string> {
	yield `# Access log of ${c.consoleName}${c.deviceName ? ` on ${c.deviceName}` : ''}\n`;
	let partial: Uint8Array | null = null;
	let partialAt: Date | null = null;
	for await (const r of exportRecords(db, c.consoleId, range)) {
		if (r.kind === 'input') yield `${stamp(r.at)} [input ${r.username ?? '?'}] ${describeInput(r.data)}\n`;
		else if (r.kind === 'event') yield `${stamp(r.at)} [event] ${describeEvent(r.username, r.data)}\n`;
		else {
			const split = splitOutput(partial, r.data);
			if (split.lines) yield split.text.replace(/^/gm, `${stamp(r.at)} `) + '\n';
			if (!split.partial) partialAt = null;
			else if (!partial || split.lines) partialAt = r.at;
			partial = split.partial;
		}
	}
	if (partial && partialAt) {
		const split = splitOutput(partial, Uint8Array.of(0x0a));
		if (split.lines) yield split.text.replace(/^/gm, `${stamp(partialAt)} `) + '\n';
	}
}

/** Raw: the output bytes as they came, nothing else. */
export async function* rawExport(db: Db, c: LogConsole, range: ExportRange): AsyncGenerator<Uint8Array> {
	for await (const r of exportRecords(db, c.consoleId, range, ['output'])) yield r.data;
}
