import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { procedure, router } from '../trpc';
import { sessions, users } from '../../db/schema';
import { audit } from '../../audit/audit';
import { deleteSession } from '../../auth/sessions';
import { live } from '../../access/live';
import { UserError } from '../../errors';

export const sessionsRouter = router({
	list: procedure('sessions.manage').query(async ({ ctx }) => {
		const rows = await ctx.db
			.select({
				id: sessions.id,
				userId: sessions.userId,
				username: users.username,
				createdAt: sessions.createdAt,
				lastSeenAt: sessions.lastSeenAt,
				expiresAt: sessions.expiresAt,
				ip: sessions.ip,
				userAgent: sessions.userAgent
			})
			.from(sessions)
			.innerJoin(users, eq(users.id, sessions.userId))
			.orderBy(desc(sessions.lastSeenAt));
		return rows.map((r) => ({ ...r, current: r.id === ctx.sessionId }));
	}),
	end: procedure('sessions.manage')
		.input(z.object({ id: z.string().min(1).max(64) }))
		.mutation(async ({ ctx, input }) => {
			const [s] = await ctx.db
				.select({ id: sessions.id, userId: sessions.userId, username: users.username })
				.from(sessions)
				.innerJoin(users, eq(users.id, sessions.userId))
				.where(eq(sessions.id, input.id));
			if (!s) throw new UserError('That session has already ended.', 'NOT_FOUND');
			await deleteSession(ctx.db, s.id);
			await audit(ctx.db, ctx.actor, {
				action: 'session.end',
				targetType: 'session',
				targetId: s.id.slice(0, 8),
				targetName: s.username
			});
			live().sessionsEnded(null, [s.id], 'An administrator ended your session.');
		})
});
