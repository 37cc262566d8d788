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
