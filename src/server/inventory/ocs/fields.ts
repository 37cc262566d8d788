// Reading OCS field text: agents send every value as text, often with units or padding.

/** Trimmed and cut to `max` characters; empty becomes null. */
export function s(v: string | undefined, max = 256): string | null {
	const t = v?.trim();
	return t ? t.slice(0, max) : null;
}

/** A non-negative integer from text such as "2400", "2400 MHz" or "16384"; anything else is null. */
export function int(v: string | undefined): number | null {
	const m = /^\s*(\d+(?:\.\d+)?)/.exec(v ?? '');
	if (!m) return null;
	const n = Math.round(Number(m[1]));
	return Number.isSafeInteger(n) ? n : null;
}
