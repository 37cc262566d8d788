/** Pure helpers for the API tokens panel. */

export interface TokenMeta {
	id: number;
	name: string;
	prefix: string;
	scope: 'read' | 'write';
	expiresAt: string | Date | null;
	revokedAt: string | Date | null;
	lastUsedAt: string | Date | null;
	createdAt: string | Date;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(t: Pick<TokenMeta, 'expiresAt' | 'revokedAt'>, now = Date.now()): TokenStatus {
	if (t.revokedAt) return 'revoked';
	if (t.expiresAt && new Date(t.expiresAt).getTime() <= now) return 'expired';
	return 'active';
}

export const STATUS_BADGE: Record<TokenStatus, string> = {
	active: 'badge-success',
	expired: 'badge-warning',
	revoked: 'badge-danger'
};

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatWhen(v: string | Date | null | undefined, empty = '—'): string {
	if (!v) return empty;
	const d = new Date(v);
	return Number.isNaN(d.getTime()) ? empty : dateTime.format(d);
}

/** The curl line shown under a new token; quoting keeps it safe to paste into a POSIX shell. */
export function curlExample(origin: string, token: string): string {
	return `curl -H 'Authorization: Bearer ${token}' ${origin}/api/v1/cis`;
}
