import { z } from 'zod';
import { procedure, router } from '../trpc';
import { DOCUMENT_CATEGORIES } from '../../../lib/protocol/cmdb';
import {
	deleteDocument,
	documentFields,
	listDocuments,
	searchDocuments,
	updateDocument
} from '../../cmdb/documents';

const id = z.number().int().positive();

/**
 * Documents attached to CIs: metadata only, never the bytes. Upload and download are plain HTTP routes
 * (POST /api/cmdb/cis/:id/documents, GET /api/cmdb/documents/:id).
 */
export const cmdbDocumentsRouter = router({
	list: procedure('cmdb.read')
		.input(z.object({ ciId: id }))
		.query(({ ctx, input }) => listDocuments(ctx.db, input.ciId)),
	search: procedure('cmdb.read')
		.input(
			z.object({
				q: z.string().max(200).default(''),
				category: z.enum(DOCUMENT_CATEGORIES).optional()
			})
		)
		.query(({ ctx, input }) => searchDocuments(ctx.db, input)),
	update: procedure('cmdb.write')
		.input(documentFields.extend({ id }))
		.mutation(({ ctx, input }) => updateDocument(ctx.db, ctx.actor, input)),
	delete: procedure('cmdb.write')
		.input(z.object({ id }))
		.mutation(({ ctx, input }) => deleteDocument(ctx.db, ctx.actor, input.id))
});
