import { z } from 'zod';
import { procedure, router } from '../trpc';
import { listAudit } from '../../audit/audit';

export const auditRouter = router({
	list: procedure('audit.read')
		.input(
			z.object({
				actor: z.string().max(100).optional(),
				action: z.string().max(100).optional(),
				targetType: z.string().max(50).optional(),
				text: z.string().max(200).optional(),
				from: z.coerce.date().optional(),
				to: z.coerce.date().optional(),
				beforeId: z.number().int().positive().optional(),
				limit: z.number().int().min(1).max(500).default(100)
			})
		)
		.query(({ ctx, input }) => listAudit(ctx.db, input))
});
