// Links into the desktop: `/?app=logs&bookmark=12` opens the Logs app with props { bookmark: '12' }. Shared by
// the address bar (bookmark links, notification links) and the notification tray. Only same-origin relative
// links of this shape are followed; props are plain strings the app validates itself.

export interface DeepLink {
	app: string;
	props: Record<string, string>;
}

const APP_RE = /^[a-z][a-z0-9-]{0,39}$/;
const MAX_PROPS = 20;

/** Reads `?app=…&k=v…` from a URL's search part or from a relative link; null when it is not a desktop link. */
export function parseDeepLink(link: string): DeepLink | null {
	let url: URL;
	try {
		url = new URL(link, 'http://desktop.invalid/');
	} catch {
		return null;
	}
	if (url.origin !== 'http://desktop.invalid' || url.pathname !== '/') return null;
	const app = url.searchParams.get('app');
	if (!app || !APP_RE.test(app)) return null;
	const props: Record<string, string> = {};
	let n = 0;
	for (const [k, v] of url.searchParams) {
		if (k === 'app' || !/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(k) || v.length > 2000) continue;
		if (++n > MAX_PROPS) break;
		props[k] = v;
	}
	return { app, props };
}

/** The link that opens `app` with `props` (relative, so it works behind any host name). */
export function deepLink(app: string, props: Record<string, string | number> = {}): string {
	const q = new URLSearchParams({ app });
	for (const [k, v] of Object.entries(props)) q.set(k, String(v));
	return `/?${q}`;
}
