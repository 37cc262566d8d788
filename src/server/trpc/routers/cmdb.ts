import { z } from 'zod';
import { and, eq } from 'drizzle-orm';
import { procedure, router } from '../trpc';
import { cmdbListPrefs } from '../../db/schema';
import {
	attributeFields,
	attributeInput,
	ciInput,
	ciPatch,
	classInput,
	domainInput,
	listQuery,
	patchSchema,
	relateInput
} from '../../../lib/protocol/cmdb';
import { describeModel, loadModel } from '../../cmdb/model';
import { addAttribute, removeAttribute, updateAttribute } from '../../cmdb/model-attributes';
import { createClass, deleteClass, updateClass } from '../../cmdb/model-classes';
import { createDomain, deleteDomain, updateDomain } from '../../cmdb/model-domains';
import { ciView, createCi, deleteCi, updateCi } from '../../cmdb/cis';
import { ciAt, diffVersions, history } from '../../cmdb/history';
import { relate, unrelate } from '../../cmdb/relations';
import { listCis } from '../../cmdb/query';
import { impactGraph, MAX_DEPTH } from '../../cmdb/impact';
import { cmdbImportRouter } from './cmdb-import';
import { cmdbDocumentsRouter } from './cmdb-documents';

const id = z.object({ id: z.number().int().positive() });
const withMessage = id.extend({ message: z.string().max(2000).optional() });

export const listPrefsSchema = z.object({
	columns: z.array(z.string().max(63)).max(60).default([]),
	sort: z.string().max(63).default('name'),
	dir: z.enum(['asc', 'desc']).default('asc'),
	q: z.string().max(1000).default('')
});

export const cmdbRouter = router({
	model: procedure('cmdb.read').query(async ({ ctx }) => describeModel(await loadModel(ctx.db))),

	createClass: procedure('cmdb.model')
		.input(classInput)
		.mutation(({ ctx, input }) => createClass(ctx.db, ctx.actor, input)),
	updateClass: procedure('cmdb.model')
		.input(id.extend(patchSchema(classInput).shape))
		.mutation(({ ctx, input: { id, ...patch } }) => updateClass(ctx.db, ctx.actor, id, patch)),
	deleteClass: procedure('cmdb.model')
		.input(id)
		.mutation(({ ctx, input }) => deleteClass(ctx.db, ctx.actor, input.id)),
	addAttribute: procedure('cmdb.model')
		.input(
			z.object({
				owner: z.union([
					z.object({ classId: z.number().int().positive() }),
					z.object({ domainId: z.number().int().positive() })
				]),
				attribute: attributeInput
			})
		)
		.mutation(({ ctx, input }) => addAttribute(ctx.db, ctx.actor, input.owner, input.attribute)),
	updateAttribute: procedure('cmdb.model')
		.input(id.extend({ patch: patchSchema(attributeFields) }))
		.mutation(({ ctx, input }) => updateAttribute(ctx.db, ctx.actor, input.id, input.patch)),
	removeAttribute: procedure('cmdb.model')
		.input(id.extend({ confirm: z.boolean().default(false) }))
		.mutation(({ ctx, input }) => removeAttribute(ctx.db, ctx.actor, input.id, input.confirm)),
	createDomain: procedure('cmdb.model')
		.input(domainInput)
		.mutation(({ ctx, input }) => createDomain(ctx.db, ctx.actor, input)),
	updateDomain: procedure('cmdb.model')
		.input(id.extend(patchSchema(domainInput).shape))
		.mutation(({ ctx, input: { id, ...patch } }) => updateDomain(ctx.db, ctx.actor, id, patch)),
	deleteDomain: procedure('cmdb.model')
		.input(id)
		.mutation(({ ctx, input }) => deleteDomain(ctx.db, ctx.actor, input.id)),

	list: procedure('cmdb.read')
		.input(listQuery)
		.query(({ ctx, input }) => listCis(ctx.db, input)),
	get: procedure('cmdb.read')
		.input(id)
		.query(({ ctx, input }) => ciView(ctx.db, input.id)),
	create: procedure('cmdb.write')
		.input(ciInput)
		.mutation(
			async ({ ctx, input }) => (await createCi(ctx.db, { actor: ctx.actor, source: 'user' }, input)).id
		),
	update: procedure('cmdb.write')
		.input(ciPatch)
		.mutation(async ({ ctx, input }) => {
			const r = await updateCi(ctx.db, { actor: ctx.actor, source: 'user' }, input);
			return { version: r.ci.version, changed: r.changed };
		}),
	delete: procedure('cmdb.write')
		.input(withMessage)
		.mutation(({ ctx, input }) =>
			deleteCi(ctx.db, { actor: ctx.actor, source: 'user', message: input.message }, input.id)
		),
	relate: procedure('cmdb.write')
		.input(relateInput)
		.mutation(({ ctx, input }) => relate(ctx.db, { actor: ctx.actor, source: 'user' }, input)),
	unrelate: procedure('cmdb.write')
		.input(withMessage)
		.mutation(({ ctx, input }) =>
			unrelate(ctx.db, { actor: ctx.actor, source: 'user', message: input.message }, input.id)
		),

	history: procedure('cmdb.read')
		.input(id)
		.query(({ ctx, input }) => history(ctx.db, input.id)),
	at: procedure('cmdb.read')
		.input(
			id.extend({
				time: z.iso.datetime({ offset: true, message: 'time must be an ISO date-time' }).optional(),
				version: z.number().int().positive().optional()
			})
		)
		.query(({ ctx, input }) =>
			ciAt(ctx.db, input.id, { time: input.time ? new Date(input.time) : undefined, version: input.version })
		),
	diff: procedure('cmdb.read')
		.input(id.extend({ from: z.number().int().positive(), to: z.number().int().positive() }))
		.query(({ ctx, input }) => diffVersions(ctx.db, input.id, input.from, input.to)),
	impact: procedure('cmdb.read')
		.input(id.extend({ depth: z.number().int().min(1).max(MAX_DEPTH).default(3) }))
		.query(({ ctx, input }) => impactGraph(ctx.db, input.id, input.depth)),

	listPrefs: procedure('cmdb.read')
		.input(z.object({ classId: z.number().int().positive() }))
		.query(async ({ ctx, input }) => {
			const [row] = await ctx.db
				.select()
				.from(cmdbListPrefs)
				.where(and(eq(cmdbListPrefs.userId, ctx.user.userId), eq(cmdbListPrefs.classId, input.classId)));
			return row ? listPrefsSchema.parse(row.prefs) : null;
		}),
	saveListPrefs: procedure('cmdb.read')
		.input(z.object({ classId: z.number().int().positive(), prefs: listPrefsSchema }))
		.mutation(async ({ ctx, input }) => {
			await ctx.db
				.insert(cmdbListPrefs)
				.values({ userId: ctx.user.userId, classId: input.classId, prefs: input.prefs })
				.onConflictDoUpdate({
					target: [cmdbListPrefs.userId, cmdbListPrefs.classId],
					set: { prefs: input.prefs }
				});
		}),

	import: cmdbImportRouter,
	documents: cmdbDocumentsRouter
});
