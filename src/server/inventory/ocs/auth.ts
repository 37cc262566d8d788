// HTTP Basic authentication for OCS agents (ocsinventory-agent --user/--password/--realm).
import crypto from 'node:crypto';
import type { Config } from '../../env';

const digest = (v: string) => crypto.createHash('sha256').update(v, 'utf8').digest();

/** True when the endpoint is on (a password is configured). */
export function ocsEnabled(config: Pick<Config, 'ocs'>): boolean {
	return !!config.ocs.password;
}

/** Compares in constant time (over SHA-256 digests, so lengths leak nothing either). */
export function ocsCredentialsValid(config: Pick<Config, 'ocs'>, authorization: string | null): boolean {
	const password = config.ocs.password;
	if (!password || !authorization) return false;
	const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
	if (!m) return false;
	const decoded = Buffer.from(m[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return false;
	const userOk = crypto.timingSafeEqual(digest(decoded.slice(0, colon)), digest(config.ocs.user));
	const passOk = crypto.timingSafeEqual(digest(decoded.slice(colon + 1)), digest(password));
	return userOk && passOk;
}

/** The challenge; the agent answers only when its --realm is exactly this realm. */
export function ocsChallenge(config: Pick<Config, 'ocs'>): string {
	return `Basic realm="${config.ocs.realm}", charset="UTF-8"`;
}
