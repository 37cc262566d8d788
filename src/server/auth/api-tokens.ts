// REST API tokens. A token is `fdk_<id>_<secret>`: the id finds the row, only SHA-256 of the secret is
// stored, and the token itself is shown once, when it is created. A token acts as its user with the
// user's current permissions, narrowed by its scope.
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Action } from '../../lib/protocol/permissions';
import { queryRows, type Db } from '../db/client';
import { apiTokens, users } from '../db/schema';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { can, type Principal } from './permissions';

export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What each scope lets a token do, at most; the user's own permissions narrow it further. */
export const SCOPE_ACTIONS: Record<TokenScope, readonly Action[]> = {
	read: ['cmdb.read'],
	write: ['cmdb.read', 'cmdb.write']
};

export const createTokenInput = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Name the token after what uses it, e.g. "inventory sync"')
		.max(100, 'A token name is at most 100 characters'),
	scope: z.enum(TOKEN_SCOPES, { message: 'Scope must be read or write' }),
	expiresInDays: z
		.number()
		.int('Expiry must be a whole number of days')
		.min(1, 'A token must be valid for at least 1 day')
		.max(365, 'A token can be valid for at most 365 days')
});
export type CreateTokenInput = z.input<typeof createTokenInput>;

export interface TokenMeta {
	id: number;
	name: string;
	prefix: string;
	scope: TokenScope;
	expiresAt: Date;
	revokedAt: Date | null;
	lastUsedAt: Date | null;
	createdAt: Date;
}

const TOKEN_RE = /^fdk_([1-9][0-9]{0,9})_([a-z2-7]{32})$/;
// Touch last_used_at at most this often, so a busy script doesn't write on every request.
const TOUCH_EVERY_MS = 60_000;

function hashSecret(secret: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

const metaColumns = {
	id: apiTokens.id,
	name: apiTokens.name,
	prefix: apiTokens.prefix,
	scope: apiTokens.scope,
	expiresAt: apiTokens.expiresAt,
	revokedAt: apiTokens.revokedAt,
	lastUsedAt: apiTokens.lastUsedAt,
	createdAt: apiTokens.createdAt
};

function asMeta<T extends { scope: string }>(row: T): T & { scope: TokenScope } {
	return { ...row, scope: row.scope === 'write' ? 'write' : 'read' };
}

/** The user's own tokens, or everyone's (with the username) for an administrator. */
export async function listApiTokens(
	db: Db,
	who: { userId: number } | { all: true }
): Promise<(TokenMeta & { userId: number; username: string })[]> {
	const rows = await db
		.select({ ...metaColumns, userId: apiTokens.userId, username: users.username })
		.from(apiTokens)
		.innerJoin(users, eq(users.id, apiTokens.userId))
		.where('userId' in who ? eq(apiTokens.userId, who.userId) : undefined)
		.orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
	return rows.map(asMeta);
}

/** Creates a token for the actor's user. The returned `token` is the only time the secret is seen. */
export async function createApiToken(
	db: Db,
	actor: Actor & { id: number },
	input: CreateTokenInput
): Promise<TokenMeta & { token: string }> {
	const v = createTokenInput.parse(input);
	const secret = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
	return db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		// The id is part of the token, and the prefix shows it, so take it from the sequence first.
		const [{ id }] = await queryRows<{ id: number }>(
			t,
			sql`select nextval(pg_get_serial_sequence('api_tokens', 'id'))::int as id`
		);
		const token = `fdk_${id}_${secret}`;
		const [row] = await t
			.insert(apiTokens)
			.values({
				id,
				userId: actor.id,
				name: v.name,
				prefix: token.slice(0, token.indexOf('_', 4) + 5),
				tokenHash: hashSecret(secret),
				scope: v.scope,
				expiresAt: new Date(Date.now() + v.expiresInDays * 86_400_000)
			})
			.returning(metaColumns);
		await audit(t, actor, {
			action: 'api-token.create',
			targetType: 'api-token',
			targetId: row.id,
			targetName: `${actor.name}: ${row.name}`,
			after: { name: row.name, scope: row.scope, prefix: row.prefix, expiresAt: row.expiresAt }
		});
		return { ...asMeta(row), token };
	});
}

/** Revokes a token: the user's own, or anyone's with users.manage. Revoking twice changes nothing. */
export async function revokeApiToken(db: Db, actor: Actor, user: Principal, id: number): Promise<TokenMeta> {
	return db.transaction(async (tx) => {
		const t = tx as unknown as Db;
		const [row] = await t
			.select({ ...metaColumns, userId: apiTokens.userId, username: users.username })
			.from(apiTokens)
			.innerJoin(users, eq(users.id, apiTokens.userId))
			.where(eq(apiTokens.id, id))
			.for('update', { of: apiTokens });
		if (!row || (row.userId !== user.userId && !can(user, 'users.manage')))
			throw new UserError(`There is no API token #${id} of yours.`, 'NOT_FOUND');
		const { userId: _u, username, ...meta } = row;
		if (meta.revokedAt) return asMeta(meta);
		const [done] = await t
			.update(apiTokens)
			.set({ revokedAt: new Date() })
			.where(eq(apiTokens.id, id))
			.returning(metaColumns);
		await audit(t, actor, {
			action: 'api-token.revoke',
			targetType: 'api-token',
			targetId: id,
			targetName: `${username}: ${row.name}`,
			before: { prefix: row.prefix, scope: row.scope }
		});
		return asMeta(done);
	});
}

export type TokenCheck =
	| { ok: true; tokenId: number; scope: TokenScope; user: { id: number; username: string } }
	| { ok: false; reason: string };

const UNKNOWN: TokenCheck = {
	ok: false,
	reason: 'This API token is not valid. Check that it was copied whole, or create a new one in the desktop.'
};

/**
 * Checks a bearer token. Reasons are specific (expired, revoked, locked) only to a caller who holds the
 * real secret; anything else is "not valid".
 */
export async function verifyApiToken(db: Db, token: string): Promise<TokenCheck> {
	const m = TOKEN_RE.exec(token.trim());
	if (!m) return UNKNOWN;
	const id = Number(m[1]);
	if (id > 2_147_483_647) return UNKNOWN;
	const [row] = await db
		.select({
			id: apiTokens.id,
			tokenHash: apiTokens.tokenHash,
			scope: apiTokens.scope,
			expiresAt: apiTokens.expiresAt,
			revokedAt: apiTokens.revokedAt,
			lastUsedAt: apiTokens.lastUsedAt,
			userId: users.id,
			username: users.username,
			locked: users.locked
		})
		.from(apiTokens)
		.innerJoin(users, eq(users.id, apiTokens.userId))
		.where(eq(apiTokens.id, id));
	// Compare even when there is no row, so a miss takes as long as a wrong secret.
	const expected = new TextEncoder().encode(row?.tokenHash ?? '0'.repeat(64));
	const actual = new TextEncoder().encode(hashSecret(m[2]));
	if (!constantTimeEqual(expected, actual) || !row) return UNKNOWN;
	const now = Date.now();
	if (row.revokedAt)
		return { ok: false, reason: 'This API token was revoked. Create a new one in the desktop.' };
	if (row.expiresAt.getTime() <= now)
		return {
			ok: false,
			reason: `This API token expired on ${row.expiresAt.toISOString()}. Create a new one in the desktop.`
		};
	if (row.locked)
		return { ok: false, reason: `The account ${row.username} is locked, and so are its API tokens.` };
	if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
		const cutoff = new Date(now - TOUCH_EVERY_MS);
		await db
			.update(apiTokens)
			.set({ lastUsedAt: new Date(now) })
			.where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, cutoff))));
	}
	return {
		ok: true,
		tokenId: row.id,
		scope: row.scope === 'write' ? 'write' : 'read',
		user: { id: row.userId, username: row.username }
	};
}

/** The user's principal narrowed to what the scope allows: `can()` on it answers for the token. */
export function scopedPrincipal(user: Principal, scope: TokenScope): Principal {
	return {
		...user,
		permissions: new Set(SCOPE_ACTIONS[scope].filter((a) => can(user, a))),
		grants: []
	};
}
