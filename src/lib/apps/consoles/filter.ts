// The picker's search: words match a console's name, device, kind, tags and groups (all words must match).

export interface Searchable {
	name: string;
	deviceName: string;
	kind: string;
	tags: readonly string[];
	groups: readonly { name: string }[];
	description?: string;
}

/**
 * "db1 serial" finds db1's serial console; "tag:rack4" and "group:core" narrow to a tag or group;
 * "kind:ssh" to a kind. Case does not matter.
 */
export function matches(c: Searchable, query: string): boolean {
	const words = query.toLowerCase().split(/\s+/).filter(Boolean);
	if (!words.length) return true;
	const tags = c.tags.map((t) => t.toLowerCase());
	const groups = c.groups.map((g) => g.name.toLowerCase());
	const text = [c.name, c.deviceName, c.kind, c.description ?? '', ...tags, ...groups]
		.join('\n')
		.toLowerCase();
	return words.every((w) => {
		const [field, value] = w.includes(':') && /^(tag|group|kind|device):/.test(w) ? w.split(/:(.*)/s) : [];
		if (field === 'tag') return tags.some((t) => t.includes(value));
		if (field === 'group') return groups.some((g) => g.includes(value));
		if (field === 'kind') return c.kind.toLowerCase() === value;
		if (field === 'device') return c.deviceName.toLowerCase().includes(value);
		return text.includes(w);
	});
}

export function filterConsoles<T extends Searchable>(list: readonly T[], query: string): T[] {
	return list.filter((c) => matches(c, query));
}
