// Join tokens: `fdj1.<id>.<secret>.<CA pin>`, shown once, stored as SHA-256 of the secret, expiring,
// N-use, bound to a device group. Creating, revoking, every use and every refusal is audited.
import crypto from 'node:crypto';
import { asc, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { deviceGroups, joinTokens } from '../db/schema';
import type { Config } from '../env';
import { audit, type Actor } from '../audit/audit';
import { UserError } from '../errors';
import { formatJoinToken } from '../../lib/protocol/agent';
import { caInfo } from './pki';

export const MAX_TOKEN_TTL_SECONDS = 30 * 86_400;

export const createJoinTokenInput = z.object({
	groupId: z.number().int().positive('Choose a device group'),
	ttlSeconds: z
		.number()
		.int()
		.min(1, 'A join token must be valid for at least a second')
		.max(MAX_TOKEN_TTL_SECONDS, 'A join token can be valid for at most 30 days'),
	uses: z
		.number()
		.int()
		.min(1, 'A join token must allow at least one enrolment')
		.max(10_000, 'A join token can allow at most 10000 enrolments')
		.default(1),
	note: z.string().trim().max(200).default('')
});
export type CreateJoinTokenInput = z.input<typeof createJoinTokenInput>;

export type JoinTokenState = 'active' | 'expired' | 'used up' | 'revoked';

export function hashTokenSecret(secret: string): string {
	return crypto.createHash('sha256').update(secret).digest('hex');
}

/** Equal-time comparison of the stored hash with the hash of a presented secret. */
export function secretMatches(storedHash: string, secret: string): boolean {
	const a = Buffer.from(storedHash, 'hex');
	const b = Buffer.from(hashTokenSecret(secret), 'hex');
	return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function tokenState(
	t: Pick<typeof joinTokens.$inferSelect, 'revokedAt' | 'expiresAt' | 'usesCount' | 'usesAllowed'>,
	now = new Date()
): JoinTokenState {
	if (t.revokedAt) return 'revoked';
	if (t.expiresAt <= now) return 'expired';
	if (t.usesCount >= t.usesAllowed) return 'used up';
	return 'active';
}

/** "1h", "30m", "2d", "90s" or plain seconds → seconds. */
export function parseTtl(s: string): number {
	const m = /^(\d+)\s*([smhd]?)$/.exec(s.trim());
	if (!m) throw new UserError(`"${s}" is not a duration: use e.g. 30m, 1h or 2d.`);
	const n = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
	return n;
}

export interface CreatedJoinToken {
	/** The token to hand to `fleetdesk-agent enroll --token`; shown only now. */
	token: string;
	id: string;
	groupId: number;
	groupName: string;
	usesAllowed: number;
	expiresAt: Date;
}

export async function createJoinToken(
	db: Db,
	config: Pick<Config, 'secret' | 'dataDir'>,
	actor: Actor,
	input: CreateJoinTokenInput
): Promise<CreatedJoinToken> {
	const v = createJoinTokenInput.parse(input);
	const [group] = await db.select().from(deviceGroups).where(eq(deviceGroups.id, v.groupId));
	if (!group) throw new UserError(`There is no device group with id ${v.groupId}.`, 'NOT_FOUND');
	const ca = await caInfo(db, config);
	// 10 random bytes → 16 base32 characters; the secret is 32 random bytes.
	const id = base32(crypto.randomBytes(10));
	const secret = crypto.randomBytes(32).toString('base64url');
	const expiresAt = new Date(Date.now() + v.ttlSeconds * 1000);
	await db.insert(joinTokens).values({
		id,
		secretHash: hashTokenSecret(secret),
		groupId: group.id,
		usesAllowed: v.uses,
		expiresAt,
		createdBy: actor.name,
		note: v.note
	});
	await audit(db, actor, {
		action: 'agent-token.create',
		targetType: 'join-token',
		targetId: id,
		targetName: group.name,
		after: { group: group.name, uses: v.uses, expiresAt: expiresAt.toISOString(), note: v.note }
	});
	return {
		token: formatJoinToken({ tokenId: id, secret, caPin: ca.pin }),
		id,
		groupId: group.id,
		groupName: group.name,
		usesAllowed: v.uses,
		expiresAt
	};
}

export async function listJoinTokens(db: Db) {
	const rows = await db
		.select({
			id: joinTokens.id,
			groupId: joinTokens.groupId,
			groupName: deviceGroups.name,
			usesAllowed: joinTokens.usesAllowed,
			usesCount: joinTokens.usesCount,
			expiresAt: joinTokens.expiresAt,
			createdAt: joinTokens.createdAt,
			createdBy: joinTokens.createdBy,
			note: joinTokens.note,
			revokedAt: joinTokens.revokedAt,
			lastUsedAt: joinTokens.lastUsedAt
		})
		.from(joinTokens)
		.innerJoin(deviceGroups, eq(deviceGroups.id, joinTokens.groupId))
		.orderBy(desc(joinTokens.createdAt), asc(joinTokens.id));
	const now = new Date();
	return rows.map((r) => ({ ...r, state: tokenState(r, now) }));
}
export type JoinTokenRow = Awaited<ReturnType<typeof listJoinTokens>>[number];

export async function revokeJoinToken(db: Db, actor: Actor, id: string): Promise<void> {
	const [t] = await db.select().from(joinTokens).where(eq(joinTokens.id, id));
	if (!t) throw new UserError(`There is no join token ${id} (see \`fleetdesk token list\`).`, 'NOT_FOUND');
	if (t.revokedAt) return;
	await db.update(joinTokens).set({ revokedAt: new Date() }).where(eq(joinTokens.id, id));
	await audit(db, actor, {
		action: 'agent-token.revoke',
		targetType: 'join-token',
		targetId: id,
		before: { state: tokenState(t), usesCount: t.usesCount }
	});
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(b: Buffer): string {
	let bits = 0;
	let value = 0;
	let out = '';
	for (const byte of b) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += B32[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) out += B32[(value << (5 - bits)) & 31];
	return out;
}
