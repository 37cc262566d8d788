// The API's own description: a small index and the OpenAPI document. Both are public.
import { fleetdeskVersion } from '../../version';
import { buildOpenApi } from '../openapi';
import { defineRoute, type ApiRoute } from '../router';

export function metaRoutes(all: () => ApiRoute[]): ApiRoute[] {
	let doc: unknown;
	return [
		defineRoute({
			method: 'GET',
			path: '/',
			permission: null,
			operationId: 'getIndex',
			summary: 'What this API is and where its description is',
			tag: 'Meta',
			responses: { 200: { description: 'The index.', schema: 'Index' } },
			handler: async (ctx) => ({
				body: {
					name: 'Fleetdesk CMDB REST API',
					version: 'v1',
					fleetdesk: fleetdeskVersion(),
					openapi: `${ctx.url.origin}/api/v1/openapi.json`
				}
			})
		}),
		defineRoute({
			method: 'GET',
			path: '/openapi.json',
			permission: null,
			operationId: 'getOpenApi',
			summary: 'This API described in OpenAPI 3.1',
			tag: 'Meta',
			responses: { 200: { description: 'The OpenAPI document.', schema: 'OpenApiDocument' } },
			handler: async () => ({ body: (doc ??= buildOpenApi(all(), fleetdeskVersion())) })
		})
	];
}
