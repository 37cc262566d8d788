import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { prepareExport } from '$server/cmdb/export';
import { contentDisposition } from '$server/cmdb/document-types';
import { authorise, errorResponse, jsonError } from '$server/http/route-guard';

/**
 * GET /api/cmdb/export.csv?class=X&q=…&sort=…&dir=asc|desc&columns=a,b,c — the list as filtered, as
 * RFC 4180 CSV, streamed page by page. It starts with a UTF-8 byte-order mark so Excel reads it as
 * UTF-8 (the import, and most tools, skip it).
 */
export const GET: RequestHandler = async (event) => {
	const actor = authorise(event, 'cmdb.read');
	if (actor instanceof Response) return actor;
	const p = event.url.searchParams;
	const dir = p.get('dir') || 'asc';
	if (dir !== 'asc' && dir !== 'desc') return jsonError(400, 'dir must be asc or desc.');
	const q = p.get('q') ?? '';
	if (q.length > 1000) return jsonError(400, 'The search is too long (at most 1000 characters).');
	let prepared;
	try {
		prepared = await prepareExport(runtime().db, {
			class: p.get('class') ?? undefined,
			q,
			sort: p.get('sort') ?? undefined,
			dir,
			columns: (p.get('columns') ?? '').split(',').slice(0, 200)
		});
	} catch (e) {
		return errorResponse(e);
	}
	const { chunks, filename } = prepared;
	const encoder = new TextEncoder();
	let started = false;
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			try {
				const next = await chunks.next();
				if (next.done) return controller.close();
				controller.enqueue(encoder.encode((started ? '' : '\uFEFF') + next.value));
				started = true;
			} catch (e) {
				// Headers are gone already: all we can do is cut the download short, so it isn't mistaken for whole.
				console.error('CSV export failed midway:', e);
				controller.error(e);
			}
		},
		async cancel() {
			await chunks.return();
		}
	});
	return new Response(body, {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': contentDisposition(filename),
			'cache-control': 'no-store'
		}
	});
};
