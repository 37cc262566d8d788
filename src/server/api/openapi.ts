// The OpenAPI 3.1 document, generated from the route table: every route, its parameters (from the zod
// query schemas), request body (from the zod body schemas), responses and the shared error answers.
import { z } from 'zod';
import type { ApiRoute } from './router';
import { schemas } from './schemas';
import { ERROR_STATUS, type ErrorCode } from './errors';
import { MAX_BODY_BYTES } from './body';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<ErrorCode, string> = {
	bad_request: 'Bad request: a query parameter or the JSON is wrong, or the change is not possible.',
	unauthorized: 'No valid API token (or, for reads, browser session).',
	forbidden: 'The user, or the token’s scope, does not allow this.',
	not_found: 'No such CI, relation or class.',
	method_not_allowed: 'The path exists but not with this method; see the Allow header.',
	conflict:
		'The change conflicts with the current state (a newer version, a relation that exists, a reference).',
	payload_too_large: `The body is larger than ${MAX_BODY_BYTES} bytes.`,
	unsupported_media_type: 'The body is not sent as application/json.',
	validation_failed: 'Values are not valid; `error.fields` names each one.',
	internal: 'The server failed; details are in its log, never in the answer.'
};

/** zod's JSON Schema without what only adds noise to a reader of the document. */
function clean(s: unknown): unknown {
	if (Array.isArray(s)) return s.map(clean);
	if (!s || typeof s !== 'object') return s;
	const out: Json = {};
	const o = s as Json;
	for (const [k, v] of Object.entries(o)) {
		if (k === '$schema') continue;
		if (k === 'pattern' && 'format' in o) continue;
		if (k === 'propertyNames') continue;
		if ((k === 'maximum' || k === 'minimum') && Math.abs(Number(v)) >= Number.MAX_SAFE_INTEGER) continue;
		out[k] = clean(v);
	}
	return out;
}

function jsonSchema(s: z.ZodType): Json {
	return clean(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })) as Json;
}

const errorRef = (code: ErrorCode) => ({ $ref: `#/components/responses/${code}` });

function operation(r: ApiRoute): Json {
	const parameters: Json[] = [];
	for (const name of r.paramNames)
		parameters.push({
			name,
			in: 'path',
			required: true,
			description: r.pathParams?.[name] ?? name,
			schema: name === 'id' ? { type: 'integer', minimum: 1, maximum: 2147483647 } : { type: 'string' }
		});
	for (const [name, s] of Object.entries(r.query?.shape ?? {})) {
		const { description, ...schema } = jsonSchema(s as z.ZodType);
		parameters.push({
			name,
			in: 'query',
			required: !(s as z.ZodType).safeParse(undefined).success,
			...(description ? { description } : {}),
			schema
		});
	}
	const responses: Json = {};
	for (const [status, doc] of Object.entries(r.responses))
		responses[status] = doc.schema
			? {
					description: doc.description,
					...(status === '201' ? { headers: { Location: { $ref: '#/components/headers/Location' } } } : {}),
					content: { 'application/json': { schema: { $ref: `#/components/schemas/${doc.schema}` } } }
				}
			: { description: doc.description };
	const errors: ErrorCode[] = ['bad_request'];
	if (r.permission) errors.push('unauthorized', 'forbidden');
	if (r.paramNames.length) errors.push('not_found');
	if (r.method !== 'GET') errors.push('conflict');
	if (r.body) errors.push('payload_too_large', 'unsupported_media_type', 'validation_failed');
	errors.push('internal');
	for (const code of errors) responses[String(ERROR_STATUS[code])] = errorRef(code);

	const op: Json = {
		operationId: r.operationId,
		summary: r.summary,
		tags: [r.tag],
		...(r.description || r.permission
			? {
					description: [
						r.description,
						r.permission &&
							`Needs the permission \`${r.permission}\`${r.permission === 'cmdb.write' ? ' and a token with the `write` scope' : ''}.`
					]
						.filter(Boolean)
						.join('\n\n')
				}
			: {}),
		...(parameters.length ? { parameters } : {}),
		responses,
		security: !r.permission
			? []
			: r.method === 'GET'
				? [{ bearerAuth: [] }, { sessionCookie: [] }]
				: [{ bearerAuth: [] }]
	};
	if (r.permission) op['x-fleetdesk-permission'] = r.permission;
	if (r.body)
		op.requestBody = {
			required: true,
			content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.body.name}` } } }
		};
	return op;
}

export function buildOpenApi(routes: ApiRoute[], version: string): Json {
	const paths: Record<string, Json> = {};
	const bodies: Record<string, Json> = {};
	for (const r of routes) {
		(paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
		if (r.body) bodies[r.body.name] = jsonSchema(r.body.schema);
	}
	const responses: Json = {};
	for (const code of Object.keys(ERROR_STATUS) as ErrorCode[])
		responses[code] = {
			description: ERROR_TEXT[code],
			content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
		};
	return {
		openapi: '3.1.0',
		info: {
			title: 'Fleetdesk CMDB REST API',
			version,
			description:
				'Read and change the CMDB: classes, CIs, relations, history. Authenticate with an API token created in the desktop (`Authorization: Bearer fdk_…`). A browser session cookie is accepted for GET only. Every error has the body `{"error": {"code", "message", "fields"?}}`; a path that exists without the method used answers 405 with an Allow header.'
		},
		servers: [{ url: '/api/v1' }],
		security: [{ bearerAuth: [] }],
		tags: [
			{ name: 'Meta', description: 'This API.' },
			{ name: 'Model', description: 'Classes, attributes and domains.' },
			{ name: 'CIs', description: 'Configuration items.' },
			{ name: 'Relations', description: 'Relations between CIs and impact analysis.' },
			{ name: 'History', description: 'Every change, and CIs as they were.' }
		],
		paths,
		components: {
			securitySchemes: {
				bearerAuth: {
					type: 'http',
					scheme: 'bearer',
					bearerFormat: 'fdk_<id>_<secret>',
					description: 'An API token; its scope (read or write) limits what the user may do with it.'
				},
				sessionCookie: {
					type: 'apiKey',
					in: 'cookie',
					name: 'fleetdesk_session',
					description: 'A signed-in browser; reads only.'
				}
			},
			headers: {
				Location: { description: 'URL of the created resource.', schema: { type: 'string', format: 'uri' } }
			},
			responses,
			schemas: { ...schemas, ...bodies }
		}
	};
}
