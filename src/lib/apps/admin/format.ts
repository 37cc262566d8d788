/** Formatting for the admin tables: dates, user agents and audit diffs. Pure functions, unit-tested. */

import { formatDateTime } from '$lib/components/format';

export { formatDateTime, timeAgo } from '$lib/components/format';

/** "Chrome 124 on Linux" from a user-agent string; the raw string when nothing is recognised. */
export function describeUserAgent(ua: string): string {
	if (!ua) return '—';
	const browsers: [string, RegExp][] = [
		['Edge', /Edg\/(\d+)/],
		['Firefox', /Firefox\/(\d+)/],
		['Chrome', /(?:Chrome|Chromium|HeadlessChrome)\/(\d+)/],
		['Safari', /Version\/(\d+)[\d.]* .*Safari\//],
		['curl', /curl\/([\d.]+)/]
	];
	const systems: [string, RegExp][] = [
		['Android', /Android/],
		['iOS', /iPhone|iPad|iPod/],
		['Windows', /Windows/],
		['macOS', /Mac OS X|Macintosh/],
		['Linux', /Linux|X11/]
	];
	const b = browsers.find(([, re]) => re.test(ua));
	const os = systems.find(([, re]) => re.test(ua));
	if (!b && !os) return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
	const browser = b ? `${b[0]} ${ua.match(b[1])?.[1] ?? ''}`.trim() : 'Unknown browser';
	return os ? `${browser} on ${os[0]}` : browser;
}

/** A value from an audit record as one line of text. */
export function formatValue(v: unknown): string {
	if (v === null || v === undefined) return '—';
	if (typeof v === 'string') {
		if (v === '') return '(empty)';
		if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return formatDateTime(v);
		return v;
	}
	if (typeof v === 'boolean') return v ? 'yes' : 'no';
	if (Array.isArray(v)) return v.length ? v.map(formatValue).join(', ') : '(none)';
	if (typeof v === 'object') return JSON.stringify(v);
	return String(v);
}

const FIELD_NAMES: Record<string, string> = {
	displayName: 'Display name',
	email: 'E-mail',
	lockedUntil: 'Locked until',
	roleIds: 'Roles'
};

/** "displayName" → "Display name". */
export function fieldLabel(key: string): string {
	if (FIELD_NAMES[key]) return FIELD_NAMES[key];
	const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
	return words.charAt(0).toUpperCase() + words.slice(1);
}

export type FieldChange =
	| { field: string; kind: 'set'; value: unknown }
	| { field: string; kind: 'removed'; value: unknown }
	| { field: string; kind: 'changed'; before: unknown; after: unknown }
	| { field: string; kind: 'list'; added: unknown[]; removed: unknown[] };

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isBlank(v: unknown): boolean {
	return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

function same(a: unknown, b: unknown): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What an audit entry changed, field by field. A creation lists what was set, a deletion what was
 * removed, an update only the fields that differ (lists as items added and removed).
 */
export function diffFields(before: unknown, after: unknown): FieldChange[] {
	const b = isRecord(before) ? before : before == null ? {} : { value: before };
	const a = isRecord(after) ? after : after == null ? {} : { value: after };
	const onlyAfter = before == null;
	const onlyBefore = after == null;
	const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
	const out: FieldChange[] = [];
	for (const key of keys) {
		const field = fieldLabel(key);
		if (onlyAfter || onlyBefore) {
			const value = onlyAfter ? a[key] : b[key];
			// A new or deleted thing's blank fields say nothing.
			if (isBlank(value)) continue;
			out.push({ field, kind: onlyAfter ? 'set' : 'removed', value });
		}
		// An update records what it touched in `after`; a field only in `before` is context, not a change.
		else if (!(key in a) || same(b[key], a[key])) continue;
		else if (Array.isArray(b[key]) && Array.isArray(a[key])) {
			const was = b[key] as unknown[];
			const now = a[key] as unknown[];
			out.push({
				field,
				kind: 'list',
				added: now.filter((x) => !was.some((y) => same(x, y))),
				removed: was.filter((x) => !now.some((y) => same(x, y)))
			});
		} else if (!(key in b)) out.push({ field, kind: 'set', value: a[key] });
		else out.push({ field, kind: 'changed', before: b[key], after: a[key] });
	}
	return out;
}

const ACTION_TEXT: Record<string, string> = {
	'auth.sign-in': 'Signed in',
	'auth.sign-in-failed': 'Failed sign-in',
	'auth.sign-out': 'Signed out',
	'user.create': 'Created user',
	'user.update': 'Changed user',
	'user.delete': 'Deleted user',
	'user.lock': 'Locked user',
	'user.unlock': 'Unlocked user',
	'user.lockout': 'Locked out after failed sign-ins',
	'user.password-reset': 'Reset password',
	'role.create': 'Created role',
	'role.update': 'Changed role',
	'role.delete': 'Deleted role',
	'group.create': 'Created device group',
	'group.update': 'Changed device group',
	'group.delete': 'Deleted device group',
	'group.add-device': 'Added device to group',
	'group.remove-device': 'Removed device from group',
	'device.create': 'Created device',
	'device.delete': 'Deleted device',
	'grant.create': 'Created grant',
	'grant.update': 'Changed grant',
	'grant.delete': 'Deleted grant',
	'session.end': 'Ended session'
};

/** The audit action in words, or the code itself for actions this app doesn't know yet. */
export function describeAction(action: string): string {
	return ACTION_TEXT[action] ?? action;
}

/** Target types the audit filter offers; the log may hold others written by later features. */
export const AUDIT_TARGET_TYPES = ['user', 'role', 'device-group', 'device', 'grant', 'session'] as const;
