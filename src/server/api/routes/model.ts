// /classes: the CMDB data model (classes with their attributes, and domains), read-only here.
import { describeModel, loadModel } from '../../cmdb/model';
import { defineRoute, type ApiRoute } from '../router';

export const modelRoutes: ApiRoute[] = [
	defineRoute({
		method: 'GET',
		path: '/classes',
		permission: 'cmdb.read',
		operationId: 'getModel',
		summary: 'The data model: classes with attributes (inherited ones included), and domains',
		tag: 'Model',
		responses: { 200: { description: 'The model.', schema: 'Model' } },
		handler: async (ctx) => ({ body: describeModel(await loadModel(ctx.db)) })
	}),
	defineRoute({
		method: 'GET',
		path: '/classes/{class}',
		permission: 'cmdb.read',
		operationId: 'getClass',
		summary: 'One class of the model',
		tag: 'Model',
		pathParams: { class: 'Class name, case-insensitive.' },
		responses: { 200: { description: 'The class.', schema: 'Class' } },
		handler: async (ctx) => {
			const m = await loadModel(ctx.db);
			const c = m.cls(ctx.params.class);
			return { body: describeModel(m).classes.find((x) => x.id === c.id) };
		}
	})
];
