import { eq, lt, or } from 'drizzle-orm';
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Db } from '../db/client';
import { sessions, users } from '../db/schema';

export const SESSION_COOKIE = 'fleetdesk_session';

export interface SessionPolicy {
	idleMs: number;
	maxMs: number;
}

export interface SessionUser {
	id: number;
	username: string;
	displayName: string;
}

export interface ValidSession {
	id: string;
	user: SessionUser;
	expiresAt: Date;
}

// Touch last_seen_at at most this often, so a busy desktop doesn't write on every request.
const TOUCH_EVERY_MS = 60_000;

function randomPart(): string {
	return encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
}

function hashSecret(secret: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

/** Creates a session and returns the token `id.secret` for the cookie. Only the secret's hash is stored. */
export async function createSession(
	db: Db,
	userId: number,
	policy: SessionPolicy,
	meta: { ip?: string; userAgent?: string } = {}
): Promise<{ token: string; id: string; expiresAt: Date }> {
	const id = randomPart();
	const secret = randomPart();
	const now = Date.now();
	const expiresAt = new Date(now + policy.maxMs);
	await db.insert(sessions).values({
		id,
		secretHash: hashSecret(secret),
		userId,
		createdAt: new Date(now),
		lastSeenAt: new Date(now),
		expiresAt,
		ip: meta.ip ?? '',
		userAgent: (meta.userAgent ?? '').slice(0, 300)
	});
	return { token: `${id}.${secret}`, id, expiresAt };
}

/** Returns the session for a cookie token, or null when it is malformed, unknown, idle too long or expired. */
export async function validateSessionToken(
	db: Db,
	token: string | undefined,
	policy: SessionPolicy
): Promise<ValidSession | null> {
	if (!token) return null;
	const parts = token.split('.');
	if (parts.length !== 2 || !/^[a-z2-7]{32}$/.test(parts[0]) || !/^[a-z2-7]{32}$/.test(parts[1])) return null;
	const [id, secret] = parts;
	const rows = await db
		.select({
			s: sessions,
			u: { id: users.id, username: users.username, displayName: users.displayName, locked: users.locked }
		})
		.from(sessions)
		.innerJoin(users, eq(users.id, sessions.userId))
		.where(eq(sessions.id, id))
		.limit(1);
	const row = rows[0];
	if (!row) return null;
	const expected = new TextEncoder().encode(row.s.secretHash);
	const actual = new TextEncoder().encode(hashSecret(secret));
	if (!constantTimeEqual(expected, actual)) return null;
	const now = Date.now();
	if (row.u.locked || now >= row.s.expiresAt.getTime() || now - row.s.lastSeenAt.getTime() >= policy.idleMs) {
		await db.delete(sessions).where(eq(sessions.id, id));
		return null;
	}
	if (now - row.s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
		await db
			.update(sessions)
			.set({ lastSeenAt: new Date(now) })
			.where(eq(sessions.id, id));
	}
	return {
		id,
		user: { id: row.u.id, username: row.u.username, displayName: row.u.displayName },
		expiresAt: row.s.expiresAt
	};
}

export async function deleteSession(db: Db, id: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.id, id));
}

export async function deleteUserSessions(db: Db, userId: number): Promise<string[]> {
	const gone = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
	return gone.map((g) => g.id);
}

export async function purgeExpiredSessions(db: Db, policy: SessionPolicy): Promise<void> {
	const now = Date.now();
	await db
		.delete(sessions)
		.where(or(lt(sessions.expiresAt, new Date(now)), lt(sessions.lastSeenAt, new Date(now - policy.idleMs))));
}

export function sessionCookieOptions(secure: boolean, expiresAt: Date) {
	return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure, expires: expiresAt };
}
