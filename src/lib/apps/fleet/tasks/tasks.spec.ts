import { describe, expect, it } from 'vitest';
import { describeTask } from './tasks';
import { filterSoftware, tabCount } from '../inventory/sections';

describe('task and inventory helpers', () => {
	it('says what a task does', () => {
		expect(describeTask('show', { table: 'processes', limit: 50 })).toBe('show processes');
		expect(describeTask('exec', { command: '/bin/echo', args: ['a b', 'c'] })).toBe('exec /bin/echo "a b" c');
		expect(describeTask('inventory', {})).toBe('inventory');
		expect(describeTask('exec', null)).toBe('exec "?"');
	});

	it('filters software by every word', () => {
		const sw = [
			{ name: 'openssl', publisher: 'Debian', version: '3.0.11', installDate: null, sizeKb: 10 },
			{ name: 'openssh-server', publisher: 'Debian', version: '9.2p1', installDate: null, sizeKb: 20 },
			{ name: 'nginx', publisher: null, version: '1.22', installDate: null, sizeKb: null }
		];
		expect(filterSoftware(sw, 'open').map((s) => s.name)).toEqual(['openssl', 'openssh-server']);
		expect(filterSoftware(sw, 'open 9.2').map((s) => s.name)).toEqual(['openssh-server']);
		expect(filterSoftware(sw, '  ')).toHaveLength(3);
		expect(tabCount({ software: sw }, 'software')).toBe(3);
		expect(tabCount({}, 'storage')).toBe(0);
		expect(tabCount({}, 'system')).toBeNull();
		expect(tabCount({ usb: [{ name: 'hub', vendor: null, type: null, serial: null }] }, 'peripherals')).toBe(
			1
		);
	});
});
