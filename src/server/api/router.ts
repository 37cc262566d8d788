// The REST API's route table and dispatcher. Each route declares its method, path, permission, query and
// body schemas (zod, also the source of the OpenAPI parameters and request bodies) and its responses.
import type { z } from 'zod';
import type { Action } from '../../lib/protocol/permissions';
import type { Db } from '../db/client';
import type { Actor } from '../audit/audit';
import { can, type Principal } from '../auth/permissions';
import { authenticate, type ApiCaller } from './auth';
import { readJsonBody } from './body';
import { ApiError, errorResponse, fromZod, toApiError } from './errors';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ApiContext<Q = Record<string, never>, B = undefined> {
	db: Db;
	caller: ApiCaller | null;
	actor: Actor;
	/** Path parameters as written; `{id}` also as the number `id`. */
	params: Record<string, string>;
	id: number;
	query: Q;
	body: B;
	url: URL;
}

export interface ApiResult {
	status?: number;
	body?: unknown;
	headers?: Record<string, string>;
}

export interface ResponseDoc {
	description: string;
	/** A schema name in components.schemas; absent for answers without a body (204). */
	schema?: string;
}

export interface RouteDef<Q extends z.ZodObject, B extends z.ZodType> {
	method: Method;
	/** Relative to /api/v1, OpenAPI style: `/cis/{id}`. `{id}` matches a positive whole number. */
	path: string;
	/** null only for the public index and the OpenAPI document. */
	permission: Action | null;
	operationId: string;
	summary: string;
	description?: string;
	tag: string;
	pathParams?: Record<string, string>;
	query?: Q;
	/** The request body schema and its name in components.schemas. */
	body?: { name: string; schema: B };
	responses: Record<number, ResponseDoc>;
	handler(ctx: ApiContext<z.output<Q>, z.output<B>>): Promise<ApiResult>;
}

export type ApiRoute = RouteDef<z.ZodObject, z.ZodType> & { pattern: RegExp; paramNames: string[] };

const MAX_ID = 2_147_483_647;

function compile(path: string): { pattern: RegExp; paramNames: string[] } {
	const paramNames: string[] = [];
	const source = path
		.split('/')
		.map((seg) => {
			const m = /^\{(\w+)\}$/.exec(seg);
			if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
			paramNames.push(m[1]);
			return m[1] === 'id' ? '([1-9][0-9]{0,9})' : '([^/]+)';
		})
		.join('/');
	return { pattern: new RegExp(`^${source}$`, 'i'), paramNames };
}

/** Declares a route; the types of `query` and `body` flow into the handler. */
export function defineRoute<
	Q extends z.ZodObject = z.ZodObject<Record<string, never>>,
	B extends z.ZodType = z.ZodNever
>(def: RouteDef<Q, B>): ApiRoute {
	return { ...(def as unknown as RouteDef<z.ZodObject, z.ZodType>), ...compile(def.path) };
}

function parseQuery(route: ApiRoute, url: URL): Record<string, unknown> {
	const raw: Record<string, string> = {};
	const known = new Set(Object.keys(route.query?.shape ?? {}));
	for (const [k, v] of url.searchParams) {
		if (!known.has(k)) {
			const takes = known.size ? `it takes ${[...known].join(', ')}` : 'it takes none';
			throw new ApiError(
				'bad_request',
				`Unknown query parameter "${k}" for ${route.method} ${route.path}; ${takes}.`,
				[{ field: k, message: 'is not a parameter of this route' }]
			);
		}
		if (k in raw)
			throw new ApiError('bad_request', `Give the query parameter "${k}" once.`, [
				{ field: k, message: 'is repeated' }
			]);
		raw[k] = v;
	}
	if (!route.query) return {};
	const r = route.query.safeParse(raw);
	if (!r.success) throw fromZod(r.error, 'bad_request', 'query string');
	return r.data;
}

export interface ApiRequest {
	db: Db;
	request: Request;
	url: URL;
	/** The path below /api/v1, starting with `/`. */
	path: string;
	sessionUser: Principal | null;
	ip: string;
}

function allowed(routes: ApiRoute[], path: string): Method[] {
	return routes.filter((r) => r.pattern.test(path)).map((r) => r.method);
}

function allowHeader(methods: Method[]): string {
	const all = new Set<string>(methods);
	if (all.has('GET')) all.add('HEAD');
	all.add('OPTIONS');
	return [...all].join(', ');
}

async function run(routes: ApiRoute[], req: ApiRequest): Promise<Response> {
	const method = req.request.method.toUpperCase();
	const lookup = method === 'HEAD' ? 'GET' : method;
	const route = routes.find((r) => r.method === lookup && r.pattern.test(req.path));
	if (!route) {
		const methods = allowed(routes, req.path);
		if (!methods.length)
			throw new ApiError(
				'not_found',
				`There is nothing at ${req.url.pathname}. The routes are listed in /api/v1/openapi.json.`
			);
		if (method === 'OPTIONS')
			return new Response(null, { status: 204, headers: { allow: allowHeader(methods) } });
		throw new ApiError(
			'method_not_allowed',
			`${req.url.pathname} does not take ${method}; it takes ${allowHeader(methods)}.`,
			undefined,
			{ allow: allowHeader(methods) }
		);
	}
	const match = route.pattern.exec(req.path)!;
	const params: Record<string, string> = {};
	try {
		route.paramNames.forEach((n, i) => (params[n] = decodeURIComponent(match[i + 1])));
	} catch {
		throw new ApiError('bad_request', `The path ${req.url.pathname} is not correctly %-encoded.`);
	}
	const id = params.id ? Number(params.id) : 0;
	if (id > MAX_ID) throw new ApiError('not_found', `There is nothing at ${req.url.pathname}.`);

	let caller: ApiCaller | null = null;
	if (route.permission) {
		caller = await authenticate(req.db, req.request, req.sessionUser);
		if (!can(caller.principal, route.permission)) {
			const byScope = can(caller.user, route.permission);
			throw new ApiError(
				'forbidden',
				byScope
					? caller.via === 'token'
						? `This API token has the ${caller.scope} scope, which does not allow ${route.permission}. Use a token with the write scope.`
						: `A browser session can only read through the REST API; use an API token to make changes.`
					: `You are not allowed to do this (${route.permission}).`
			);
		}
	}
	const query = parseQuery(route, req.url);
	let body: unknown = undefined;
	if (route.body) {
		const raw = await readJsonBody(req.request);
		const r = route.body.schema.safeParse(raw);
		if (!r.success) throw fromZod(r.error, 'validation_failed', 'request body');
		body = r.data;
	}
	const actor: Actor = caller
		? { id: caller.user.userId, name: caller.user.username, ip: req.ip }
		: { id: null, name: 'anonymous', ip: req.ip };
	const result = await route.handler({ db: req.db, caller, actor, params, id, query, body, url: req.url });
	const status = result.status ?? 200;
	const headers: Record<string, string> = { 'cache-control': 'no-store', ...result.headers };
	if (status === 204 || result.body === undefined) return new Response(null, { status, headers });
	headers['content-type'] = 'application/json; charset=utf-8';
	return new Response(method === 'HEAD' ? null : JSON.stringify(result.body), { status, headers });
}

/** Answers one REST request; every failure becomes the one error body. */
export async function dispatch(routes: ApiRoute[], req: ApiRequest): Promise<Response> {
	try {
		return await run(routes, req);
	} catch (e) {
		const err = toApiError(e);
		const res = errorResponse(err);
		return req.request.method === 'HEAD'
			? new Response(null, { status: res.status, headers: res.headers })
			: res;
	}
}
