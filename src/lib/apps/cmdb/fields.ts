// Attribute values between the server's canonical form and form inputs, and field errors from messages.
import type { AttributeType } from '$lib/protocol/cmdb';
import { formatDateTime } from './format';

/** What a form input holds for a value: text for every type but boolean selects ('', 'yes', 'no'). */
export function toInput(type: AttributeType, v: unknown): string {
	if (v === null || v === undefined) return '';
	switch (type) {
		case 'boolean':
			return v === true ? 'yes' : v === false ? 'no' : String(v);
		case 'datetime':
			return isoToLocal(String(v));
		default:
			return String(v);
	}
}

/** The raw value to check and send for what an input holds; '' means "no value". */
export function fromInput(type: AttributeType, s: string): unknown {
	if (s.trim() === '') return null;
	if (type === 'datetime') return localToIso(s) ?? s;
	return s;
}

function pad(n: number, w = 2): string {
	return String(n).padStart(w, '0');
}

/** An ISO instant as a datetime-local value in the browser's time zone (seconds only when not zero). */
export function isoToLocal(iso: string): string {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
	return d.getSeconds() || d.getMilliseconds() ? `${base}:${pad(d.getSeconds())}` : base;
}

/** A datetime-local value (local wall time) as an ISO instant, or undefined when it isn't one. */
export function localToIso(local: string): string | undefined {
	if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(local)) return undefined;
	const d = new Date(local);
	return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * Splits a server message such as "ramMb: must be a whole number (got "x"); name: is required" into
 * per-field messages. Only the fields named in `known` are recognised, so a "; " inside a message does
 * not split it. Zod's form "name: name: a CI needs a name" is folded to one prefix.
 */
export function parseFieldErrors(message: string, known: string[]): Record<string, string> {
	const names = new Map(known.map((k) => [k.toLowerCase(), k]));
	const out: Record<string, string> = {};
	const parts: string[] = [];
	// Cut before every "; <field>: " whose field is known.
	let last = 0;
	for (const m of message.matchAll(/; ([A-Za-z][A-Za-z0-9_.]*): /g)) {
		if (!names.has(m[1].toLowerCase())) continue;
		parts.push(message.slice(last, m.index));
		last = m.index + 2;
	}
	parts.push(message.slice(last));
	for (const p of parts) {
		const m = /^([A-Za-z][A-Za-z0-9_.]*): ([\s\S]*)$/.exec(p.trim());
		if (!m) continue;
		const field = names.get(m[1].toLowerCase());
		if (!field) continue;
		let text = m[2];
		const again = `${m[1]}: `;
		if (text.toLowerCase().startsWith(again.toLowerCase())) text = text.slice(again.length);
		out[field] = out[field] ? `${out[field]}; ${text}` : text;
	}
	return out;
}

/** A value as a list cell or read-only field shows it. References are shown by the caller. */
export function displayValue(type: AttributeType | undefined, v: unknown): string {
	if (v === null || v === undefined || v === '') return '';
	switch (type) {
		case 'boolean':
			return v === true ? 'Yes' : v === false ? 'No' : String(v);
		case 'datetime':
			return formatDateTime(String(v));
		case 'decimal':
		case 'integer':
			return typeof v === 'number' ? v.toLocaleString() : String(v);
		case 'reference':
			return `#${v}`;
		default:
			if (typeof v === 'object') return JSON.stringify(v);
			return String(v);
	}
}
