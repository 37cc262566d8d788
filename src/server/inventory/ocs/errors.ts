/** A refused OCS request: `status` is the HTTP status to answer with, the message says what was wrong. */
export class OcsRefused extends Error {
	constructor(
		readonly status: 400 | 401 | 403 | 404 | 413 | 415 | 429 | 503,
		message: string,
		/** Short machine-readable reason, for the log and the JSON error body. */
		readonly reason: string
	) {
		super(message);
		this.name = 'OcsRefused';
	}
}

/** Largest request body accepted (compressed, as sent). */
export const MAX_OCS_BODY_BYTES = 8 * 1024 * 1024;
/** Largest XML accepted once inflated: a report past it is refused as a zip bomb. */
export const MAX_OCS_XML_BYTES = 32 * 1024 * 1024;
