import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { readableConsole } from '$server/accesslog/access';
import {
	asciicast,
	rawExport,
	textExport,
	EXPORT_FORMATS,
	type ExportFormat
} from '$server/accesslog/export';
import { contentDisposition } from '$server/cmdb/document-types';
import { authorise, errorResponse, idParam, jsonError } from '$server/http/route-guard';

const TYPES: Record<ExportFormat, { type: string; ext: string }> = {
	asciicast: { type: 'application/x-asciicast', ext: 'cast' },
	text: { type: 'text/plain; charset=utf-8', ext: 'txt' },
	raw: { type: 'application/octet-stream', ext: 'bin' }
};

function time(s: string | null): Date | undefined | null {
	if (!s) return undefined;
	const d = new Date(s);
	return Number.isFinite(d.getTime()) ? d : null;
}

/**
 * GET /api/access-logs/:consoleId/(asciicast|text|raw)?from=ISO&to=ISO — one console's access log as an
 * asciicast v2 recording, text with timestamps, or the raw output bytes, streamed. Needs `logs.read` on the
 * console's device.
 */
export const GET: RequestHandler = async (event) => {
	const actor = authorise(event, 'logs.read');
	if (actor instanceof Response) return actor;
	const consoleId = idParam(event.params.consoleId);
	const format = event.params.format as ExportFormat;
	if (!consoleId) return jsonError(404, 'That is not a console.');
	if (!EXPORT_FORMATS.includes(format)) return jsonError(404, 'Export as asciicast, text or raw.');
	const from = time(event.url.searchParams.get('from'));
	const to = time(event.url.searchParams.get('to'));
	if (from === null || to === null)
		return jsonError(400, 'from and to are times such as 2025-01-31T08:00:00Z.');
	const db = runtime().db;
	let c;
	try {
		c = await readableConsole(db, event.locals.user!, consoleId);
	} catch (e) {
		return errorResponse(e);
	}
	const range = { from, to };
	const source: AsyncGenerator<string | Uint8Array> =
		format === 'asciicast'
			? asciicast(db, c, range)
			: format === 'text'
				? textExport(db, c, range)
				: rawExport(db, c, range);
	const encoder = new TextEncoder();
	const body = new ReadableStream<Uint8Array>({
		// Many small lines go out as one chunk of about 64 KiB.
		async pull(controller) {
			try {
				const parts: Uint8Array[] = [];
				let size = 0;
				while (size < 64 * 1024) {
					const n = await source.next();
					if (n.done) break;
					const b = typeof n.value === 'string' ? encoder.encode(n.value) : n.value;
					parts.push(b);
					size += b.byteLength;
				}
				if (parts.length) controller.enqueue(parts.length === 1 ? parts[0] : Buffer.concat(parts));
				if (size < 64 * 1024) controller.close();
			} catch (e) {
				console.error('Access-log export failed:', e);
				controller.error(e);
			}
		},
		async cancel() {
			await source.return(undefined);
		}
	});
	const stamp = (from ?? new Date()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
	return new Response(body, {
		headers: {
			'content-type': TYPES[format].type,
			'content-disposition': contentDisposition(`${c.consoleName}-${stamp}.${TYPES[format].ext}`),
			'cache-control': 'no-store',
			'x-content-type-options': 'nosniff'
		}
	});
};
