import { describe, expect, it } from 'vitest';
import { describeUserAgent, diffFields, fieldLabel, formatValue, timeAgo } from './format';

describe('audit diff', () => {
	it('lists what a creation set', () => {
		expect(diffFields(null, { username: 'ana', roles: ['Operator'] })).toEqual([
			{ field: 'Username', kind: 'set', value: 'ana' },
			{ field: 'Roles', kind: 'set', value: ['Operator'] }
		]);
	});

	it('lists what a deletion removed', () => {
		expect(diffFields({ name: 'racks' }, null)).toEqual([{ field: 'Name', kind: 'removed', value: 'racks' }]);
	});

	it('leaves out the blank fields of a creation or deletion', () => {
		expect(diffFields(null, { name: 'web-01', description: '', tags: [] })).toEqual([
			{ field: 'Name', kind: 'set', value: 'web-01' }
		]);
	});

	it('shows only changed fields of an update, lists as added and removed items', () => {
		const before = { displayName: 'Ana', email: 'a@x.io', roles: ['Viewer', 'Auditor'], locked: false };
		const after = { displayName: 'Ana B', email: 'a@x.io', roles: ['Auditor', 'Operator'], locked: false };
		expect(diffFields(before, after)).toEqual([
			{ field: 'Display name', kind: 'changed', before: 'Ana', after: 'Ana B' },
			{ field: 'Roles', kind: 'list', added: ['Operator'], removed: ['Viewer'] }
		]);
	});

	it('treats a field missing before as set, and one missing after as context', () => {
		expect(diffFields({ locked: false, lockedUntil: null }, { locked: true })).toEqual([
			{ field: 'Locked', kind: 'changed', before: false, after: true }
		]);
		expect(diffFields({}, { device: 'web-01' })).toEqual([{ field: 'Device', kind: 'set', value: 'web-01' }]);
	});

	it('has nothing to show for an entry without before and after', () => {
		expect(diffFields(null, null)).toEqual([]);
	});
});

describe('formatting', () => {
	it('turns values and field names into words', () => {
		expect(formatValue(null)).toBe('—');
		expect(formatValue('')).toBe('(empty)');
		expect(formatValue(true)).toBe('yes');
		expect(formatValue([])).toBe('(none)');
		expect(formatValue(['a', 'b'])).toBe('a, b');
		expect(fieldLabel('targetName')).toBe('Target name');
	});

	it('says how long ago', () => {
		const now = Date.parse('2025-01-10T12:00:00Z');
		expect(timeAgo('2025-01-10T11:59:30Z', now)).toBe('just now');
		expect(timeAgo('2025-01-10T11:55:00Z', now)).toMatch(/5 minutes ago/);
		expect(timeAgo('2025-01-13T12:00:00Z', now)).toMatch(/in 3 days/);
		expect(timeAgo(null, now)).toBe('—');
	});

	it('names the browser and system of a user agent', () => {
		expect(
			describeUserAgent(
				'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36'
			)
		).toBe('Chrome 140 on Linux');
		expect(
			describeUserAgent(
				'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'
			)
		).toBe('Safari 17 on iOS');
		expect(describeUserAgent('')).toBe('—');
		expect(describeUserAgent('probe')).toBe('probe');
	});
});
