import type { Config } from '../env';

type Headers = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
	return Array.isArray(v) ? v[0] : v?.split(',')[0]?.trim();
}

/** The origin this request was addressed to: the configured public URL, or Host (+ X-Forwarded-* when trusted). */
export function expectedOrigin(config: Config, headers: Headers, encrypted: boolean): string | null {
	if (config.origin) return config.origin;
	const host = (config.trustProxy && first(headers['x-forwarded-host'])) || first(headers.host);
	if (!host) return null;
	const proto = (config.trustProxy && first(headers['x-forwarded-proto'])) || (encrypted ? 'https' : 'http');
	return `${proto}://${host}`;
}

/**
 * Browsers always send Origin on cross-site requests that change state and on WebSocket upgrades;
 * a request that carries one must match. Requests without Origin or Referer are from non-browser clients.
 */
export function originAllowed(config: Config, headers: Headers, encrypted: boolean): boolean {
	let origin = first(headers.origin);
	if (!origin) {
		const referer = first(headers.referer);
		if (!referer) return true;
		try {
			origin = new URL(referer).origin;
		} catch {
			return false;
		}
	}
	if (origin === 'null') return false;
	return origin === expectedOrigin(config, headers, encrypted);
}
