// Numbers as the Fleet app shows them: sizes in binary units, percentages, durations, operating systems.

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; null/undefined → "—". One decimal below 10 units, none above. */
export function formatBytes(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	let v = Math.abs(n);
	let i = 0;
	while (v >= 1024 && i < SIZE_UNITS.length - 1) {
		v /= 1024;
		i++;
	}
	const digits = i === 0 || v >= 10 ? 0 : 1;
	return `${n < 0 ? '-' : ''}${v.toFixed(digits)} ${SIZE_UNITS[i]}`;
}

/** Megabytes (MiB) as reported by inventory → "16 GiB". */
export function formatMb(n: number | null | undefined): string {
	return n === null || n === undefined ? '—' : formatBytes(n * 1024 * 1024);
}

/** 12.345 → "12.3%"; null → "—". */
export function formatPercent(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	return `${n.toFixed(1)}%`;
}

/** 850 → "850 ms", 12_400 → "12.4 s", 125_000 → "2 min 5 s". */
export function formatDuration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
	const s = Math.round(ms / 1000);
	if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
	return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const PLATFORMS: Record<string, string> = {
	linux: 'Linux',
	win32: 'Windows',
	darwin: 'macOS',
	freebsd: 'FreeBSD',
	openbsd: 'OpenBSD',
	sunos: 'Solaris',
	aix: 'AIX'
};

/** { platform: 'linux', release: '6.1.0', arch: 'x64' } → "Linux 6.1.0 (x64)". */
export function osLabel(
	os: { platform: string; release?: string | null; arch?: string | null } | null
): string {
	if (!os) return '—';
	const name = PLATFORMS[os.platform] ?? os.platform;
	return [name, os.release, os.arch ? `(${os.arch})` : ''].filter(Boolean).join(' ');
}

/** Seconds from a TTL field ("1h", "30m", "2d", "90s", "45") or null when it is not a duration. */
export function parseTtl(s: string): number | null {
	const m = /^(\d+)\s*([smhd]?)$/i.exec(s.trim());
	if (!m) return null;
	const unit = m[2].toLowerCase() as '' | 's' | 'm' | 'h' | 'd';
	return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[unit];
}

/** "-" and spaces are safe in a shell word; anything else is single-quoted. */
export function shellQuote(s: string): string {
	return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command an operator runs on a new host to enrol it with a join token. */
export function enrolCommand(serverUrl: string, token: string): string {
	return `fleetdesk-agent enroll --server ${shellQuote(serverUrl)} --token ${shellQuote(token)}`;
}

/**
 * The gateway address agents use: the name this browser reached the server by when the gateway's certificate
 * covers it, else the first name it was issued for. Null when there is no gateway.
 */
export function gatewayUrl(
	gw: { running: boolean; port: number | null; hostnames: string[] } | undefined,
	browserHost: string
): string | null {
	if (!gw || !gw.running || !gw.port) return null;
	const host = gw.hostnames.includes(browserHost) ? browserHost : (gw.hostnames[0] ?? browserHost);
	return `https://${host.includes(':') ? `[${host}]` : host}:${gw.port}`;
}
