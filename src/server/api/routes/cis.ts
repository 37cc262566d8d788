// /cis and /classes/{class}/cis: list and search, read, create, change, delete, history, point in time,
// relations and impact of configuration items.
import { z } from 'zod';
import { ciInput, ciPatch } from '../../../lib/protocol/cmdb';
import { ciView, createCi, deleteCi, getCiRow, updateCi } from '../../cmdb/cis';
import { ciAt, history } from '../../cmdb/history';
import { relationsOf } from '../../cmdb/relations';
import { listCis } from '../../cmdb/query';
import { impactGraph, MAX_DEPTH } from '../../cmdb/impact';
import { loadModel } from '../../cmdb/model';
import { UserError } from '../../errors';
import { ApiError } from '../errors';
import { defineRoute, type ApiContext, type ApiRoute } from '../router';

const int = (what: string) =>
	z.coerce.number({ message: `${what} must be a number` }).int(`${what} must be a whole number`);

const pageParams = {
	q: z
		.string()
		.max(1000)
		.default('')
		.describe(
			'Search: free words (prefix match on name and text values) and `attribute op value` terms, e.g. `os~debian ramMb>=8192 web`. Operators: = != ~ !~ > >= < <=, `attr:empty`, `attr:set`; `class:Computer` limits the class.'
		),
	sort: z
		.string()
		.max(63)
		.default('name')
		.describe('name, id, class, updatedAt, or the name of an attribute.'),
	dir: z.enum(['asc', 'desc']).default('asc').describe('Sort direction.'),
	limit: int('limit').min(1).max(500).default(50).describe('Items per page, 1–500.'),
	offset: int('offset').min(0).max(100_000_000).default(0).describe('Items to skip.'),
	includeMissing: z
		.enum(['true', 'false'])
		.default('true')
		.transform((v) => v === 'true')
		.describe('Include CIs that inventory no longer finds (missingSince set).')
};

const listQuery = z.object({
	class: z
		.string()
		.max(63)
		.optional()
		.describe(
			'Class name, case-insensitive. Subclasses are included: `class=Item` lists computers, printers, …'
		),
	...pageParams
});
const classListQuery = z.object(pageParams);
type Page = z.output<typeof classListQuery>;

const messageQuery = z.object({
	message: z.string().max(2000).optional().describe('Change message recorded in the history.')
});

const createBody = ciInput.strict();
const patchBody = ciPatch.omit({ id: true }).strict();

function ciUrl(url: URL, id: number): string {
	return `${url.origin}/api/v1/cis/${id}`;
}

async function list(ctx: ApiContext<Page>, className: string | undefined, fixed: boolean) {
	const q = ctx.query;
	let r;
	try {
		r = await listCis(ctx.db, { ...q, class: className });
	} catch (e) {
		// An unknown class in a filter is a bad request; in the path (/classes/X/cis) it is not found.
		if (!fixed && e instanceof UserError && e.code === 'NOT_FOUND')
			throw new ApiError('bad_request', e.message);
		throw e;
	}
	let next: string | null = null;
	if (q.offset + r.items.length < r.total) {
		const u = new URL(ctx.url);
		u.searchParams.set('offset', String(q.offset + q.limit));
		u.searchParams.set('limit', String(q.limit));
		next = u.toString();
	}
	const items = r.items.map(({ id, class: cls, name, data, version, updatedAt, missingSince }) => ({
		id,
		class: cls,
		name,
		data,
		version,
		updatedAt,
		missingSince
	}));
	return {
		body: { items, total: r.total, totalExact: r.totalExact, limit: q.limit, offset: q.offset, next }
	};
}

const ciResponses = { 200: { description: 'The CI with its attributes and relations.', schema: 'Ci' } };
const idDoc = { id: 'CI id.' };

export const ciRoutes: ApiRoute[] = [
	defineRoute({
		method: 'GET',
		path: '/cis',
		permission: 'cmdb.read',
		operationId: 'listCis',
		summary: 'List and search CIs',
		description: 'One page of CIs; `next` is the URL of the next page, or null on the last.',
		tag: 'CIs',
		query: listQuery,
		responses: { 200: { description: 'One page of CIs.', schema: 'CiPage' } },
		handler: (ctx) => list(ctx, ctx.query.class, false)
	}),
	defineRoute({
		method: 'GET',
		path: '/classes/{class}/cis',
		permission: 'cmdb.read',
		operationId: 'listCisOfClass',
		summary: 'List and search the CIs of one class (and its subclasses)',
		tag: 'CIs',
		pathParams: { class: 'Class name, case-insensitive.' },
		query: classListQuery,
		responses: { 200: { description: 'One page of CIs.', schema: 'CiPage' } },
		handler: (ctx) => list(ctx, ctx.params.class, true)
	}),
	defineRoute({
		method: 'GET',
		path: '/cis/{id}',
		permission: 'cmdb.read',
		operationId: 'getCi',
		summary: 'Read a CI: attributes and relations',
		tag: 'CIs',
		pathParams: idDoc,
		responses: ciResponses,
		handler: async (ctx) => ({ body: await ciView(ctx.db, ctx.id) })
	}),
	defineRoute({
		method: 'POST',
		path: '/cis',
		permission: 'cmdb.write',
		operationId: 'createCi',
		summary: 'Create a CI',
		description:
			'Values are checked against the class: every bad field is named in `error.fields`. Classes that require a change message need `message`.',
		tag: 'CIs',
		body: { name: 'CiCreate', schema: createBody },
		responses: { 201: { description: 'Created; Location is its URL.', schema: 'Ci' } },
		handler: async (ctx) => {
			const m = await loadModel(ctx.db);
			if (!m.findClass(ctx.body.class))
				throw new ApiError(
					'validation_failed',
					`There is no class "${ctx.body.class}"; GET /api/v1/classes lists them.`,
					[{ field: 'class', message: `there is no class "${ctx.body.class}"` }]
				);
			const row = await createCi(ctx.db, { actor: ctx.actor, source: 'api' }, ctx.body, m);
			return {
				status: 201,
				body: await ciView(ctx.db, row.id),
				headers: { location: ciUrl(ctx.url, row.id) }
			};
		}
	}),
	defineRoute({
		method: 'PATCH',
		path: '/cis/{id}',
		permission: 'cmdb.write',
		operationId: 'updateCi',
		summary: 'Change a CI',
		description:
			'Only the fields given change; null or "" clears a value. With `expectedVersion`, a CI changed by someone else since is refused with 409 instead of overwritten. A change that changes nothing writes nothing.',
		tag: 'CIs',
		pathParams: idDoc,
		body: { name: 'CiPatch', schema: patchBody },
		responses: ciResponses,
		handler: async (ctx) => {
			await updateCi(ctx.db, { actor: ctx.actor, source: 'api' }, { ...ctx.body, id: ctx.id });
			return { body: await ciView(ctx.db, ctx.id) };
		}
	}),
	defineRoute({
		method: 'DELETE',
		path: '/cis/{id}',
		permission: 'cmdb.write',
		operationId: 'deleteCi',
		summary: 'Delete a CI and its relations',
		description: 'Refused with 409 while another CI refers to it in a reference attribute.',
		tag: 'CIs',
		pathParams: idDoc,
		query: messageQuery,
		responses: { 204: { description: 'Deleted.' } },
		handler: async (ctx) => {
			await deleteCi(ctx.db, { actor: ctx.actor, source: 'api', message: ctx.query.message }, ctx.id);
			return { status: 204 };
		}
	}),
	defineRoute({
		method: 'GET',
		path: '/cis/{id}/history',
		permission: 'cmdb.read',
		operationId: 'getCiHistory',
		summary: 'The history of a CI, newest first',
		description: 'Also answers for a deleted CI.',
		tag: 'History',
		pathParams: idDoc,
		query: z.object({ limit: int('limit').min(1).max(1000).default(500).describe('Entries, newest first.') }),
		responses: { 200: { description: 'History entries.', schema: 'HistoryList' } },
		handler: async (ctx) => {
			const rows = await history(ctx.db, ctx.id, ctx.query.limit);
			if (!rows.length) throw new ApiError('not_found', `There is no CI #${ctx.id}, and there never was.`);
			return { body: { items: rows } };
		}
	}),
	defineRoute({
		method: 'GET',
		path: '/cis/{id}/at',
		permission: 'cmdb.read',
		operationId: 'getCiAt',
		summary: 'A CI as it was at a time or a version',
		tag: 'History',
		pathParams: idDoc,
		query: z.object({
			time: z.iso
				.datetime({ offset: true, message: 'must be an ISO date-time, e.g. 2025-01-31T12:00:00Z' })
				.optional()
				.describe('ISO 8601 date-time; the CI as it was then.'),
			version: int('version')
				.min(1)
				.max(2_147_483_647)
				.optional()
				.describe('The CI as it was at this version.')
		}),
		responses: { 200: { description: 'The CI then.', schema: 'CiAt' } },
		handler: async (ctx) => {
			const { time, version } = ctx.query;
			if (time && version)
				throw new ApiError('bad_request', 'Give either time or version, not both.', [
					{ field: 'version', message: 'can not be combined with time' }
				]);
			return { body: await ciAt(ctx.db, ctx.id, { time: time ? new Date(time) : undefined, version }) };
		}
	}),
	defineRoute({
		method: 'GET',
		path: '/cis/{id}/relations',
		permission: 'cmdb.read',
		operationId: 'getCiRelations',
		summary: 'The relations of a CI, read from its side',
		tag: 'Relations',
		pathParams: idDoc,
		responses: { 200: { description: 'Its relations.', schema: 'CiRelationList' } },
		handler: async (ctx) => {
			await getCiRow(ctx.db, ctx.id);
			return { body: { items: await relationsOf(ctx.db, await loadModel(ctx.db), ctx.id) } };
		}
	}),
	defineRoute({
		method: 'GET',
		path: '/cis/{id}/impact',
		permission: 'cmdb.read',
		operationId: 'getCiImpact',
		summary: 'Impact analysis: what a CI depends on and what depends on it',
		tag: 'Relations',
		pathParams: idDoc,
		query: z.object({
			depth: int('depth')
				.min(1)
				.max(MAX_DEPTH)
				.default(3)
				.describe(`Relation steps to follow, 1–${MAX_DEPTH}.`)
		}),
		responses: { 200: { description: 'The impact graph.', schema: 'Impact' } },
		handler: async (ctx) => ({ body: await impactGraph(ctx.db, ctx.id, ctx.query.depth) })
	})
];
