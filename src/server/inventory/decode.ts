// An `inventory` report's sections, unpacked with bounded memory: gzip output is cut at
// MAX_INVENTORY_JSON_BYTES (a zip bomb stops there), nesting is checked before anything recurses into it,
// and the result is validated against the protocol. Anything wrong refuses the report with the reason.
import { gunzipSync } from 'node:zlib';
import {
	inventorySchema,
	inventorySectionsSchema,
	MAX_INVENTORY_JSON_BYTES,
	MAX_INVENTORY_JSON_DEPTH,
	type InventoryReport,
	type InventorySections
} from '../../lib/protocol/inventory';
import { ReportRefused } from '../agents/reports';

/** True when the JSON text nests arrays/objects deeper than `max` (a scan; nothing is parsed). */
export function jsonTextTooDeep(text: string, max: number): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 92 /* \ */) i++;
			else if (c === 34 /* " */) inString = false;
			continue;
		}
		if (c === 34) inString = true;
		else if (c === 123 /* { */ || c === 91 /* [ */) {
			if (++depth > max) return true;
		} else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
	}
	return false;
}

/** True when a parsed value nests deeper than `max` (iterative: a hostile depth cannot overflow the stack). */
export function valueTooDeep(value: unknown, max: number): boolean {
	const stack: [unknown, number][] = [[value, 0]];
	let visited = 0;
	while (stack.length) {
		const [v, d] = stack.pop()!;
		if (v === null || typeof v !== 'object') continue;
		if (d + 1 > max) return true;
		if (++visited > 5_000_000) return true;
		for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
	}
	return false;
}

function inflate(gz: string): string {
	const packed = Buffer.from(gz, 'base64');
	let out: Buffer;
	try {
		out = gunzipSync(packed, { maxOutputLength: MAX_INVENTORY_JSON_BYTES });
	} catch (e) {
		const err = e as NodeJS.ErrnoException;
		if (err.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
			throw new ReportRefused(
				`inventory refused: it unpacks to more than ${MAX_INVENTORY_JSON_BYTES / 1024 / 1024} MiB (${packed.length} bytes compressed)`
			);
		throw new ReportRefused(`inventory refused: gz is not valid gzip data (${err.message})`);
	}
	return out.toString('utf8');
}

/** The sections a report carries, validated. A full report must hold an inventory (system and os at least). */
export function decodeSections(report: InventoryReport): InventorySections {
	let raw: unknown;
	if (report.gz !== undefined) {
		const text = inflate(report.gz);
		if (jsonTextTooDeep(text, MAX_INVENTORY_JSON_DEPTH))
			throw new ReportRefused(`inventory refused: nested deeper than ${MAX_INVENTORY_JSON_DEPTH} levels`);
		try {
			raw = JSON.parse(text);
		} catch (e) {
			throw new ReportRefused(`inventory refused: gz does not hold JSON (${(e as Error).message})`);
		}
	} else {
		raw = report.sections;
		if (valueTooDeep(raw, MAX_INVENTORY_JSON_DEPTH))
			throw new ReportRefused(`inventory refused: nested deeper than ${MAX_INVENTORY_JSON_DEPTH} levels`);
	}
	if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
		throw new ReportRefused('inventory refused: its sections must be an object');
	const p = (report.full ? inventorySchema : inventorySectionsSchema).safeParse(raw);
	if (!p.success) {
		const i = p.error.issues[0];
		throw new ReportRefused(
			`inventory refused: ${i?.path.length ? i.path.join('.') + ': ' : ''}${i?.message ?? 'invalid'}`
		);
	}
	return p.data;
}
