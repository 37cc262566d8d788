import { z } from 'zod';
import { desc, eq } from 'drizzle-orm';
import { procedure, router } from '../trpc';
import { runtime } from '../../runtime';
import { agentEvents } from '../../db/schema';
import { getAgent, listAgents, requestCertRenewal, revokeAgent } from '../../agents/registry';
import { createJoinToken, createJoinTokenInput, listJoinTokens, revokeJoinToken } from '../../agents/tokens';

const agentId = z.object({ id: z.uuid('That is not an agent id') });

/** Agents and join tokens, for the Fleet app. */
export const agentsRouter = router({
	list: procedure('agents.read').query(({ ctx }) => listAgents(ctx.db)),
	get: procedure('agents.read')
		.input(agentId)
		.query(async ({ ctx, input }) => {
			const a = await getAgent(ctx.db, input.id);
			// Never the lease bookkeeping; the certificate's public facts only.
			return {
				id: a.id,
				hostname: a.hostname,
				deviceId: a.deviceId,
				ciId: a.ciId,
				agentVersion: a.agentVersion,
				os: a.os,
				enrolledAt: a.enrolledAt,
				enrolledFrom: a.enrolledFrom,
				revokedAt: a.revokedAt,
				revokedBy: a.revokedBy,
				lastSeenAt: a.lastSeenAt,
				lastAddress: a.lastAddress,
				certSerial: a.certSerial,
				certFingerprint: a.certFingerprint,
				certNotAfter: a.certNotAfter,
				certIssuedAt: a.certIssuedAt ?? a.enrolledAt,
				certRenewRequestedAt: a.certRenewRequestedAt,
				lastSeq: a.lastSeq,
				droppedReports: a.droppedReports
			};
		}),
	events: procedure('agents.read')
		.input(agentId.extend({ limit: z.number().int().min(1).max(1000).default(200) }))
		.query(({ ctx, input }) =>
			ctx.db
				.select()
				.from(agentEvents)
				.where(eq(agentEvents.agentId, input.id))
				.orderBy(desc(agentEvents.seq))
				.limit(input.limit)
		),
	revoke: procedure('agents.manage')
		.input(agentId)
		.mutation(async ({ ctx, input }) => {
			const a = await revokeAgent(ctx.db, ctx.actor, input.id);
			return { id: a.id, revokedAt: a.revokedAt };
		}),
	renewCertificate: procedure('agents.manage')
		.input(agentId)
		.mutation(async ({ ctx, input }) => {
			const a = await requestCertRenewal(ctx.db, ctx.actor, input.id);
			return { id: a.id, certRenewRequestedAt: a.certRenewRequestedAt };
		}),
	tokens: router({
		list: procedure('agents.read').query(({ ctx }) => listJoinTokens(ctx.db)),
		create: procedure('agents.manage')
			.input(createJoinTokenInput)
			.mutation(({ ctx, input }) => createJoinToken(ctx.db, runtime().config, ctx.actor, input)),
		revoke: procedure('agents.manage')
			.input(z.object({ id: z.string().min(1).max(40) }))
			.mutation(({ ctx, input }) => revokeJoinToken(ctx.db, ctx.actor, input.id))
	})
});
