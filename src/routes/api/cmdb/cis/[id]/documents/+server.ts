import type { RequestHandler } from './$types';
import { runtime } from '$server/runtime';
import { MAX_DOCUMENT_BYTES, uploadDocument } from '$server/cmdb/documents';
import { authorise, errorResponse, idParam, jsonError } from '$server/http/route-guard';

const tooLarge = () =>
	jsonError(413, `The file is too large; documents can be at most ${MAX_DOCUMENT_BYTES / 2 ** 20} MB.`);

/**
 * POST /api/cmdb/cis/:id/documents — multipart/form-data with `file`, `category` and `description`.
 * 201 { document } on success; 400, 404, 413 (too large) or 415 (type not accepted) { error: { message } }.
 * Cross-site posts are refused before this runs (hooks.server.ts checks the Origin of every non-GET).
 */
export const POST: RequestHandler = async (event) => {
	const actor = authorise(event, 'cmdb.write');
	if (actor instanceof Response) return actor;
	const ciId = idParam(event.params.id);
	if (!ciId) return jsonError(404, 'There is no such CI.');
	const { request } = event;
	// Refuse an oversized body by its declared length, before reading it (multipart adds a little).
	const declared = Number(request.headers.get('content-length') ?? 0);
	if (declared > MAX_DOCUMENT_BYTES + 64 * 1024) return tooLarge();
	if (!/^multipart\/form-data\b/i.test(request.headers.get('content-type') ?? ''))
		return jsonError(400, 'Send the file as multipart/form-data with a field named "file".');
	let form: FormData;
	try {
		form = await request.formData();
	} catch (e) {
		const status =
			(e as { status?: number; cause?: { status?: number } }).status ??
			(e as { cause?: { status?: number } }).cause?.status;
		if (status === 413) return tooLarge();
		return jsonError(400, 'The upload could not be read as multipart/form-data; try again.');
	}
	const file = form.get('file');
	if (!(file instanceof File))
		return jsonError(400, 'Choose a file: the form has no field "file" with a file in it.');
	if (file.size > MAX_DOCUMENT_BYTES) return tooLarge();
	try {
		const document = await uploadDocument(runtime().db, actor, {
			ciId,
			filename: file.name,
			content: new Uint8Array(await file.arrayBuffer()),
			category: form.get('category') ?? 'other',
			description: form.get('description') ?? ''
		});
		return new Response(JSON.stringify({ document }), {
			status: 201,
			headers: { 'content-type': 'application/json', location: `/api/cmdb/documents/${document.id}` }
		});
	} catch (e) {
		return errorResponse(e);
	}
};
