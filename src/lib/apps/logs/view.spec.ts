import { describe, expect, it } from 'vitest';
import { deepLink, parseDeepLink } from '$lib/desktop/deep-link';
import { linkProps, parseView, viewProps } from './view';
import { parseSource, sourceProps } from './source';

describe('logs window view', () => {
	it('falls back to the source picker for anything unknown or damaged', () => {
		const v = parseView({ tab: 'nope', device: 'x', path: 'relative', include: [3, ''], context: 99 });
		expect(v.tab).toBe('viewer');
		expect(v.source).toBeNull();
		expect(v.filters).toEqual({ include: [], exclude: [], caseSensitive: false, context: 0 });
		expect(parseView({ device: '3', path: 'etc/passwd' }).source).toBeNull();
		expect(parseView({ device: '3', path: '/a\0b' }).source).toBeNull();
	});

	it('round-trips a file, its filters and a line through window props', () => {
		const v = parseView({
			tab: 'viewer',
			device: 3,
			path: '/var/log/syslog',
			line: 120,
			include: ['sshd', 'Failed'],
			exclude: ['CRON'],
			case: true,
			context: 2,
			wrap: true
		});
		expect(v.source).toEqual({ kind: 'file', deviceId: 3, path: '/var/log/syslog' });
		expect(v.goto).toEqual({ line: 120 });
		expect(v.filters).toEqual({
			include: ['sshd', 'Failed'],
			exclude: ['CRON'],
			caseSensitive: true,
			context: 2
		});
		expect(parseView(viewProps(v))).toEqual(v);
	});

	it('reads the links the server writes for bookmarks and events', () => {
		const ev = parseDeepLink('/?app=logs&device=3&path=%2Fvar%2Flog%2Fauth.log&offset=5120&event=9')!;
		const v = parseView(ev.props);
		expect(v.source).toEqual({ kind: 'file', deviceId: 3, path: '/var/log/auth.log' });
		expect(v.goto).toEqual({ offset: 5120 });
		expect(v.event).toBe(9);
		expect(parseView(parseDeepLink('/?app=logs&bookmark=12')!.props).bookmark).toBe(12);
		const j = parseView(
			parseDeepLink('/?app=logs&device=4&journal=1&at=2026-01-02T03:04:05.000Z&event=2')!.props
		);
		expect(j.source).toEqual({ kind: 'journal', deviceId: 4 });
		expect(j.goto).toEqual({ time: '2026-01-02T03:04:05.000Z' });
		const c = parseView(parseDeepLink('/?app=logs&console=7&line=40')!.props);
		expect(c.source).toEqual({ kind: 'access', consoleId: 7 });
		expect(c.goto).toEqual({ line: 40 });
	});

	it('makes links that open a line, and only name what is set', () => {
		const link = deepLink(
			'logs',
			linkProps({ kind: 'file', deviceId: 3, path: '/var/log/x y' }, { line: 9 })
		);
		expect(link).toBe('/?app=logs&device=3&path=%2Fvar%2Flog%2Fx+y&line=9');
		expect(parseView(parseDeepLink(link)!.props).goto).toEqual({ line: 9 });
		expect(deepLink('logs', linkProps({ kind: 'access', consoleId: 2 }, null))).toBe('/?app=logs&console=2');
	});

	it('writes every source key so a stale one never survives a merge', () => {
		expect(sourceProps(null)).toEqual({ device: null, path: null, journal: null, console: null });
		expect(parseSource({ ...sourceProps({ kind: 'journal', deviceId: 5 }) })).toEqual({
			kind: 'journal',
			deviceId: 5
		});
	});
});
