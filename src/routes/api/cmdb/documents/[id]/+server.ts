import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { readDocument } from '$server/cmdb/documents';
import { contentDisposition } from '$server/cmdb/document-types';
import { authorise, errorResponse, idParam, jsonError } from '$server/http/route-guard';

/**
 * GET /api/cmdb/documents/:id — the stored bytes, always as an attachment and never sniffed or rendered
 * by the browser as our origin (an SVG or a text file with markup can't run script here).
 */
export const GET: RequestHandler = async (event) => {
	const actor = authorise(event, 'cmdb.read');
	if (actor instanceof Response) return actor;
	const id = idParam(event.params.id);
	if (!id) return jsonError(404, 'There is no such document.');
	try {
		const doc = await readDocument(runtime().db, id);
		return new Response(new Uint8Array(doc.content), {
			headers: {
				'content-type': doc.contentType,
				'content-length': String(doc.content.byteLength),
				'content-disposition': contentDisposition(doc.filename),
				'x-content-type-options': 'nosniff',
				'content-security-policy': "default-src 'none'; sandbox",
				'cache-control': 'private, no-cache',
				etag: `"${doc.sha256}"`
			}
		});
	} catch (e) {
		return errorResponse(e);
	}
};
