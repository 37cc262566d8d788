import { dispatch, type ApiRequest, type ApiRoute } from './router';
import { metaRoutes } from './routes/meta';
import { modelRoutes } from './routes/model';
import { ciRoutes } from './routes/cis';
import { relationRoutes } from './routes/relations';

/** Every REST route under /api/v1; the OpenAPI document is generated from this table. */
export const apiRoutes: ApiRoute[] = [
	...metaRoutes(() => apiRoutes),
	...modelRoutes,
	...ciRoutes,
	...relationRoutes
];

export function handleApiRequest(req: ApiRequest): Promise<Response> {
	return dispatch(apiRoutes, req);
}
