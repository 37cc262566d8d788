// One error body for every REST answer that is not a success:
// { "error": { "code", "message", "fields"?: [{ "field", "message" }] } } with the matching HTTP status.
import { ZodError, type core } from 'zod';
import { UserError } from '../errors';
import { ValidationError } from '../cmdb/validation';

export const ERROR_STATUS = {
	bad_request: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	method_not_allowed: 405,
	conflict: 409,
	payload_too_large: 413,
	unsupported_media_type: 415,
	validation_failed: 422,
	internal: 500
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface FieldError {
	field: string;
	message: string;
}

export class ApiError extends Error {
	constructor(
		readonly code: ErrorCode,
		message: string,
		readonly fields?: FieldError[],
		readonly headers: Record<string, string> = {}
	) {
		super(message);
		this.name = 'ApiError';
	}
	get status(): number {
		return ERROR_STATUS[this.code];
	}
}

const USER_ERROR_CODES: Record<UserError['code'], ErrorCode> = {
	BAD_REQUEST: 'bad_request',
	NOT_FOUND: 'not_found',
	CONFLICT: 'conflict',
	FORBIDDEN: 'forbidden',
	UNAUTHORIZED: 'unauthorized'
};

function issueMessage(i: core.$ZodIssue, field: string): string {
	if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return 'is required';
	// Some shared schemas already start the message with the field name.
	return field && i.message.startsWith(`${field}: `) ? i.message.slice(field.length + 2) : i.message;
}

/** Zod issues as field errors; `where` says what was checked (the request body, the query string). */
export function fromZod(e: ZodError, code: ErrorCode, where: string): ApiError {
	const fields = e.issues.slice(0, 50).flatMap((i): FieldError[] => {
		if (i.code === 'unrecognized_keys')
			return i.keys.map((k) => ({ field: [...i.path, k].join('.'), message: 'is not a field here' }));
		const field = i.path.map(String).join('.');
		return [{ field: field || where, message: issueMessage(i, field) }];
	});
	const summary = fields
		.slice(0, 5)
		.map((f) => `${f.field}: ${f.message}`)
		.join('; ');
	return new ApiError(code, `The ${where} is not valid: ${summary}.`, fields);
}

/** Any thrown value as an ApiError; unexpected ones are logged and never shown. */
export function toApiError(e: unknown): ApiError {
	if (e instanceof ApiError) return e;
	if (e instanceof ValidationError) return new ApiError('validation_failed', e.message, e.fields);
	if (e instanceof UserError) return new ApiError(USER_ERROR_CODES[e.code] ?? 'bad_request', e.message);
	if (e instanceof ZodError) return fromZod(e, 'validation_failed', 'request');
	console.error('REST API internal error:', e);
	return new ApiError('internal', 'The server failed to do this; the error is in its log.');
}

export function errorResponse(e: ApiError): Response {
	const body: { code: ErrorCode; message: string; fields?: FieldError[] } = {
		code: e.code,
		message: e.message
	};
	if (e.fields?.length) body.fields = e.fields;
	return new Response(JSON.stringify({ error: body }), {
		status: e.status,
		headers: {
			'content-type': 'application/json; charset=utf-8',
			'cache-control': 'no-store',
			// The unread rest of an oversized body would stall the next request on this connection.
			...(e.code === 'payload_too_large' ? { connection: 'close' } : {}),
			...e.headers
		}
	});
}
