import { z } from 'zod';
import { procedure, router } from '../trpc';
import { loadModel } from '../../cmdb/model';
import {
	commitImport,
	dryRunImport,
	importInput,
	parseForImport,
	parseInput,
	rememberedMapping
} from '../../cmdb/import';

/**
 * CSV import into the CMDB (export is a plain HTTP download: GET /api/cmdb/export.csv). `parse` reads
 * only, but it is a mutation because the file travels in the body: a query would put it in the URL.
 */
export const cmdbImportRouter = router({
	parse: procedure('cmdb.read')
		.input(parseInput)
		.mutation(({ ctx, input }) => parseForImport(ctx.db, input)),
	mapping: procedure('cmdb.read')
		.input(z.object({ class: z.string().min(1) }))
		.query(async ({ ctx, input }) => rememberedMapping(ctx.db, await loadModel(ctx.db), input.class)),
	dryRun: procedure('cmdb.write')
		.input(importInput)
		.mutation(({ ctx, input }) => dryRunImport(ctx.db, input)),
	commit: procedure('cmdb.write')
		.input(importInput)
		.mutation(({ ctx, input }) => commitImport(ctx.db, ctx.actor, input))
});
