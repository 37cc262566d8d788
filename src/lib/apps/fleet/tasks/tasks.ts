// Describing tasks to people: "show processes", "exec /usr/bin/uptime -p".

/** One line saying what a task does, from its kind and arguments. */
export function describeTask(kind: string, args: unknown): string {
	const a = (args && typeof args === 'object' ? args : {}) as Record<string, unknown>;
	if (kind === 'show') return `show ${typeof a.table === 'string' ? a.table : '?'}`;
	if (kind === 'exec') {
		const argv = Array.isArray(a.args) ? a.args.map(String) : [];
		const cmd = [typeof a.command === 'string' ? a.command : '?', ...argv]
			.map((s) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : JSON.stringify(s)))
			.join(' ');
		return `exec ${cmd}`;
	}
	return kind;
}
