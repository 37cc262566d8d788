// /relations: relate two CIs through a domain, read a relation, remove it.
import { z } from 'zod';
import { eq, inArray } from 'drizzle-orm';
import { relateInput } from '../../../lib/protocol/cmdb';
import type { Db } from '../../db/client';
import { cmdbCis, cmdbRelations } from '../../db/schema';
import { relate, unrelate } from '../../cmdb/relations';
import { loadModel } from '../../cmdb/model';
import { UserError } from '../../errors';
import { ApiError } from '../errors';
import { defineRoute, type ApiRoute } from '../router';

async function relationView(db: Db, id: number) {
	const [r] = await db.select().from(cmdbRelations).where(eq(cmdbRelations.id, id));
	if (!r) throw new UserError(`There is no relation #${id}.`, 'NOT_FOUND');
	const m = await loadModel(db);
	const d = m.domains.get(r.domainId)!;
	const cis = await db
		.select({ id: cmdbCis.id, name: cmdbCis.name, classId: cmdbCis.classId })
		.from(cmdbCis)
		.where(inArray(cmdbCis.id, [r.sourceId, r.targetId]));
	const end = (ciId: number) => {
		const c = cis.find((x) => x.id === ciId)!;
		return { id: c.id, name: c.name, class: m.classById(c.classId).name };
	};
	return {
		id: r.id,
		domain: d.name,
		label: d.forwardLabel,
		reverseLabel: d.reverseLabel,
		source: end(r.sourceId),
		target: end(r.targetId),
		data: r.data,
		createdAt: r.createdAt
	};
}

const relationDoc = { id: 'Relation id.' };

export const relationRoutes: ApiRoute[] = [
	defineRoute({
		method: 'POST',
		path: '/relations',
		permission: 'cmdb.write',
		operationId: 'createRelation',
		summary: 'Relate two CIs',
		description:
			'The domain (relation type) fixes the source and target classes and the cardinality; a relation that breaks them, repeats one, or closes a containment cycle is refused (409 or 400).',
		tag: 'Relations',
		body: { name: 'RelationCreate', schema: relateInput.strict() },
		responses: { 201: { description: 'Created; Location is its URL.', schema: 'Relation' } },
		handler: async (ctx) => {
			const m = await loadModel(ctx.db);
			if (!m.findDomain(ctx.body.domain))
				throw new ApiError(
					'validation_failed',
					`There is no relation type (domain) "${ctx.body.domain}"; GET /api/v1/classes lists them under domains.`,
					[{ field: 'domain', message: `there is no domain "${ctx.body.domain}"` }]
				);
			const id = await relate(ctx.db, { actor: ctx.actor, source: 'api' }, ctx.body, m);
			return {
				status: 201,
				body: await relationView(ctx.db, id),
				headers: { location: `${ctx.url.origin}/api/v1/relations/${id}` }
			};
		}
	}),
	defineRoute({
		method: 'GET',
		path: '/relations/{id}',
		permission: 'cmdb.read',
		operationId: 'getRelation',
		summary: 'Read a relation',
		tag: 'Relations',
		pathParams: relationDoc,
		responses: { 200: { description: 'The relation.', schema: 'Relation' } },
		handler: async (ctx) => ({ body: await relationView(ctx.db, ctx.id) })
	}),
	defineRoute({
		method: 'DELETE',
		path: '/relations/{id}',
		permission: 'cmdb.write',
		operationId: 'deleteRelation',
		summary: 'Remove a relation',
		tag: 'Relations',
		pathParams: relationDoc,
		query: z.object({
			message: z.string().max(2000).optional().describe('Change message recorded in both CIs’ history.')
		}),
		responses: { 204: { description: 'Removed.' } },
		handler: async (ctx) => {
			await unrelate(ctx.db, { actor: ctx.actor, source: 'api', message: ctx.query.message }, ctx.id);
			return { status: 204 };
		}
	})
];
