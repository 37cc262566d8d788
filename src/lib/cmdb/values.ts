// Attribute value checking and normalisation, shared by the server (the authority) and the browser
// (early feedback in forms). Every error names the rule, so the caller only prefixes the field.
import type { AttributeType } from '$lib/protocol/cmdb';

export interface AttributeRule {
	name: string;
	type: AttributeType;
	enumValues?: string[] | null;
}

export type Checked = { ok: true; value: string | number | boolean | null } | { ok: false; error: string };

const TEXT_MAX = 2000;
const LONGTEXT_MAX = 100_000;

export function isEmptyValue(v: unknown): boolean {
	return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

export function isIPv4(s: string): boolean {
	const parts = s.split('.');
	return parts.length === 4 && parts.every((p) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(p));
}

export function isIPv6(s: string): boolean {
	if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return false;
	const double = s.split('::');
	if (double.length > 2) return false;
	const groups = (part: string) => (part === '' ? [] : part.split(':'));
	const head = groups(double[0]);
	const tail = double.length === 2 ? groups(double[1]) : [];
	const all = [...head, ...tail];
	let slots = all.length;
	const last = all[all.length - 1];
	if (last !== undefined && last.includes('.')) {
		if (!isIPv4(last)) return false;
		all.pop();
		slots += 1; // an embedded IPv4 address takes two groups
	}
	if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
	return double.length === 2 ? slots < 8 : slots === 8;
}

function validDate(y: number, m: number, d: number): boolean {
	const dt = new Date(Date.UTC(y, m - 1, d));
	return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/**
 * Checks one value against its attribute type and returns it in canonical form (null for empty).
 * `reference` values are CI ids here; that the CI exists and has the right class is the server's job.
 */
export function checkValue(rule: AttributeRule, raw: unknown): Checked {
	if (isEmptyValue(raw)) return { ok: true, value: null };
	const str = typeof raw === 'string' ? raw.trim() : raw;
	const shown = JSON.stringify(raw)?.slice(0, 60);
	switch (rule.type) {
		case 'text':
		case 'longtext': {
			if (typeof str === 'object') return { ok: false, error: `must be text (got ${shown})` };
			const s = String(str);
			const max = rule.type === 'text' ? TEXT_MAX : LONGTEXT_MAX;
			if (s.length > max)
				return { ok: false, error: `is ${s.length} characters long; at most ${max} are allowed` };
			if (rule.type === 'text' && /[\r\n]/.test(s))
				return { ok: false, error: 'must be on one line (use a long-text attribute for several lines)' };
			return { ok: true, value: s };
		}
		case 'integer': {
			const n =
				typeof str === 'number' ? str : typeof str === 'string' && /^[-+]?\d+$/.test(str) ? Number(str) : NaN;
			if (!Number.isSafeInteger(n)) return { ok: false, error: `must be a whole number (got ${shown})` };
			return { ok: true, value: n };
		}
		case 'decimal': {
			const n =
				typeof str === 'number'
					? str
					: typeof str === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(str)
						? Number(str)
						: NaN;
			if (!Number.isFinite(n)) return { ok: false, error: `must be a number such as 12.5 (got ${shown})` };
			return { ok: true, value: n };
		}
		case 'boolean': {
			if (typeof str === 'boolean') return { ok: true, value: str };
			const s = String(str).toLowerCase();
			if (['true', 'yes', 'y', '1', 'on'].includes(s)) return { ok: true, value: true };
			if (['false', 'no', 'n', '0', 'off'].includes(s)) return { ok: true, value: false };
			return { ok: false, error: `must be yes or no (got ${shown})` };
		}
		case 'date': {
			const m = typeof str === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(str) : null;
			if (!m || !validDate(+m[1], +m[2], +m[3]))
				return { ok: false, error: `must be a date as YYYY-MM-DD (got ${shown})` };
			return { ok: true, value: str as string };
		}
		case 'datetime': {
			const s = typeof str === 'string' ? str : '';
			const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
			const t = m ? Date.parse(s.replace(' ', 'T')) : NaN;
			if (!m || !validDate(+m[1], +m[2], +m[3]) || Number.isNaN(t))
				return { ok: false, error: `must be a date and time such as 2026-05-01T14:30:00Z (got ${shown})` };
			return { ok: true, value: new Date(t).toISOString() };
		}
		case 'enum': {
			const s = String(str);
			const allowed = rule.enumValues ?? [];
			const hit = allowed.find((v) => v.toLowerCase() === s.toLowerCase());
			if (hit === undefined)
				return {
					ok: false,
					error: `must be one of ${allowed.slice(0, 12).join(', ')}${allowed.length > 12 ? ', …' : ''} (got ${shown})`
				};
			return { ok: true, value: hit };
		}
		case 'ip': {
			const s = String(str);
			if (isIPv4(s)) return { ok: true, value: s };
			if (isIPv6(s)) return { ok: true, value: s.toLowerCase() };
			return { ok: false, error: `must be an IPv4 or IPv6 address (got ${shown})` };
		}
		case 'mac': {
			const hex = String(str)
				.toLowerCase()
				.replace(/[:.\-\s]/g, '');
			if (!/^[0-9a-f]{12}$/.test(hex))
				return { ok: false, error: `must be a MAC address such as 00:1a:2b:3c:4d:5e (got ${shown})` };
			return { ok: true, value: hex.match(/../g)!.join(':') };
		}
		case 'reference': {
			const n =
				typeof str === 'number' ? str : typeof str === 'string' && /^\d+$/.test(str) ? Number(str) : NaN;
			if (!Number.isSafeInteger(n) || n <= 0)
				return { ok: false, error: `must be the id of a CI (got ${shown})` };
			return { ok: true, value: n };
		}
	}
}

/** Text shown for a value in lists, CSV and history. */
export function formatValue(type: AttributeType, v: unknown): string {
	if (v === null || v === undefined) return '';
	if (type === 'boolean') return v ? 'yes' : 'no';
	return String(v);
}
