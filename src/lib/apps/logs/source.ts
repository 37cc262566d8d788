// What a Logs window shows: a file on an agent host, that host's journal, or a console's access log. Sources
// travel in window props and desktop links (`/?app=logs&device=3&path=/var/log/syslog&line=120`, the shape
// src/server/logs/links.ts writes) as plain strings, so everything here parses defensively.
import type { LogSource } from '$protocol/logs';

export type ViewSource =
	| { kind: 'file'; deviceId: number; path: string }
	| { kind: 'journal'; deviceId: number }
	| { kind: 'access'; consoleId: number };

export type SourceKind = ViewSource['kind'];

const PATH_RE = /^\/[^\0]{0,4095}$/;

export function positiveInt(v: unknown): number | null {
	const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
	return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * Reads a source from window props or link parameters: `device=3&path=/var/log/syslog` (a file),
 * `device=3&journal=1`, `console=7` (its access log). Null when anything is missing or malformed.
 */
export function parseSource(p: Record<string, unknown>): ViewSource | null {
	const consoleId = positiveInt(p.console);
	if (consoleId) return { kind: 'access', consoleId };
	const deviceId = positiveInt(p.device);
	if (!deviceId) return null;
	if (p.journal === 1 || p.journal === '1' || p.journal === true) return { kind: 'journal', deviceId };
	if (typeof p.path === 'string' && PATH_RE.test(p.path)) return { kind: 'file', deviceId, path: p.path };
	return null;
}

/** The props (and link parameters) that name a source; every key is written so a stale one never survives. */
export function sourceProps(s: ViewSource | null): Record<string, string | number | null> {
	return {
		device: s && s.kind !== 'access' ? s.deviceId : null,
		path: s?.kind === 'file' ? s.path : null,
		journal: s?.kind === 'journal' ? 1 : null,
		console: s?.kind === 'access' ? s.consoleId : null
	};
}

/** What the agent reads, for a file or journal source. */
export function agentSource(s: ViewSource): LogSource | null {
	if (s.kind === 'file') return { type: 'file', path: s.path };
	if (s.kind === 'journal') return { type: 'journal' };
	return null;
}

/** A stable key: recent-source lists, caches and {#each} keys. */
export function sourceKey(s: ViewSource): string {
	if (s.kind === 'access') return `access:${s.consoleId}`;
	if (s.kind === 'journal') return `journal:${s.deviceId}`;
	return `file:${s.deviceId}:${s.path}`;
}

export function sameSource(a: ViewSource | null, b: ViewSource | null): boolean {
	return a !== null && b !== null && sourceKey(a) === sourceKey(b);
}

/** The last part of a path ("syslog" for /var/log/syslog), for titles. */
export function baseName(path: string): string {
	return path.slice(path.lastIndexOf('/') + 1) || path;
}
