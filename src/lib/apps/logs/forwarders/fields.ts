// The server reports bad input as "field: message; other: message" (zod paths, e.g. "port" or "patch.port");
// a form shows each message at its field, and anything else above the buttons.

export interface FieldErrors {
	fields: Record<string, string>;
	/** What belongs to no field of the form. */
	rest: string;
}

export function fieldErrors(message: string, known: readonly string[], code?: string): FieldErrors {
	const fields: Record<string, string> = {};
	const rest: string[] = [];
	for (const part of message.split('; ')) {
		const m = /^([A-Za-z0-9_.]+): (.+)$/.exec(part);
		const field = m?.[1].split('.').find((p) => known.includes(p));
		if (m && field) fields[field] ??= `${m[2].replace(/\.?$/, '.')}`;
		else rest.push(part);
	}
	// A clash of names is the one CONFLICT a forwarder form can get.
	if (code === 'CONFLICT' && known.includes('name') && !fields.name && rest.length)
		fields.name = rest.shift()!;
	return { fields, rest: rest.join('; ') };
}

export interface HeaderLine {
	name: string;
	value: string;
}

/**
 * "Name: value" per line (blank lines ignored) as the server takes headers; the server checks names and
 * values. A line without a colon is an error here, with its number.
 */
export function parseHeaderLines(text: string): { headers: HeaderLine[] } | { error: string } {
	const headers: HeaderLine[] = [];
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i].trim();
		if (!line) continue;
		const colon = line.indexOf(':');
		if (colon <= 0) return { error: `Line ${i + 1}: write a header as "Name: value".` };
		headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
	}
	return { headers };
}

export function formatHeaderLines(headers: readonly HeaderLine[]): string {
	return headers.map((h) => `${h.name}: ${h.value}`).join('\n');
}
