import { ApiError } from './errors';

/** Request bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** adapter-node's own limit (BODY_SIZE_LIMIT, default 512K) applies first when it is lower. */
function serverLimit(): number {
	const m = /^\s*(\d+)\s*([kmg]?)\s*$/i.exec(process.env.BODY_SIZE_LIMIT ?? '512K');
	if (!m) return MAX_BODY_BYTES;
	const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
	return Number(m[1]) * unit;
}

function megabytes(n: number): string {
	return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function tooLarge(): ApiError {
	const limit = Math.min(MAX_BODY_BYTES, serverLimit());
	return new ApiError(
		'payload_too_large',
		`The request body is larger than ${megabytes(limit)}; send less at once.`
	);
}

/** Reads the JSON body, with the size limit, and says exactly what is wrong with one that isn't JSON. */
export async function readJsonBody(request: Request): Promise<unknown> {
	const length = Number(request.headers.get('content-length'));
	if (Number.isFinite(length) && length > MAX_BODY_BYTES) throw tooLarge();
	const type = request.headers.get('content-type') ?? '';
	if (!JSON_TYPE.test(type))
		throw new ApiError(
			'unsupported_media_type',
			`Send the request body as JSON with the header Content-Type: application/json${type ? ` (not ${type.split(';')[0]})` : ''}.`
		);
	if (!request.body) throw new ApiError('bad_request', 'This request needs a JSON body.');
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = request.body.getReader();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.byteLength;
			if (size > MAX_BODY_BYTES) throw tooLarge();
			chunks.push(value);
		}
	} catch (e) {
		if (e instanceof ApiError) throw e;
		// The server's own limit (adapter-node's BODY_SIZE_LIMIT) ends the stream with a 413 error.
		if ((e as { status?: number }).status === 413) throw tooLarge();
		throw new ApiError('bad_request', 'The request body could not be read completely; send it again.');
	}
	let text: string;
	try {
		text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
	} catch {
		throw new ApiError('bad_request', 'The request body is not valid UTF-8 text.');
	}
	if (!text.trim()) throw new ApiError('bad_request', 'This request needs a JSON body.');
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new ApiError('bad_request', `The request body is not valid JSON: ${(e as Error).message}.`);
	}
}
