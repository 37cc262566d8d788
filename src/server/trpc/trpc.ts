import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Action } from '../../lib/protocol/permissions';
import { can, type Principal } from '../auth/permissions';
import type { Actor } from '../audit/audit';
import type { Db } from '../db/client';
import { UserError } from '../errors';

export interface Context {
	db: Db;
	user: Principal | null;
	sessionId: string | null;
	ip: string;
}

export interface Meta {
	/** Every procedure declares the permission it needs; the security test fails for one that doesn't. */
	permission: Action;
}

/** "Username: must be at least 2 characters" rather than a JSON dump of zod issues. */
export function readableZodError(e: ZodError): string {
	return e.issues
		.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
		.slice(0, 5)
		.join('; ');
}

const t = initTRPC
	.context<Context>()
	.meta<Meta>()
	.create({
		errorFormatter({ shape, error }) {
			const zod = error.cause instanceof ZodError ? error.cause : null;
			return {
				...shape,
				message: zod ? readableZodError(zod) : shape.message,
				data: { ...shape.data, stack: undefined }
			};
		}
	});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const errors = t.middleware(async ({ next }) => {
	const result = await next();
	if (!result.ok) {
		const cause = result.error.cause;
		if (cause instanceof UserError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
		if (cause instanceof ZodError)
			throw new TRPCError({ code: 'BAD_REQUEST', message: readableZodError(cause), cause });
		if (result.error.code === 'INTERNAL_SERVER_ERROR') {
			console.error('tRPC internal error:', result.error.cause ?? result.error);
			throw new TRPCError({
				code: 'INTERNAL_SERVER_ERROR',
				message: 'The server failed to do this; the error is in its log.'
			});
		}
	}
	return result;
});

const authorised = t.middleware(async ({ ctx, meta, next }) => {
	if (!meta?.permission) {
		throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'This procedure declares no permission.' });
	}
	if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
	if (!can(ctx.user, meta.permission)) {
		throw new TRPCError({
			code: 'FORBIDDEN',
			message: `You are not allowed to do this (${meta.permission}).`
		});
	}
	const actor: Actor = { id: ctx.user.userId, name: ctx.user.username, ip: ctx.ip };
	return next({ ctx: { ...ctx, user: ctx.user, actor } });
});

/** A procedure that needs `permission`. Always use this; there is no unauthenticated procedure. */
export function procedure(permission: Action) {
	return t.procedure.meta({ permission }).use(errors).use(authorised);
}
