import { describe, expect, it } from 'vitest';
import { deviceOs, deviceState, matchesFilter, sortDevices, type ListedDevice } from './devices';

function dev(over: Partial<ListedDevice>): ListedDevice {
	return {
		key: `agent:${over.name ?? 'x'}`,
		source: 'agent',
		name: 'x',
		hostname: over.name ?? 'x',
		os: { platform: 'linux', release: '6.1', arch: 'x64' },
		osName: null,
		agentVersion: '0.1.0',
		online: false,
		revoked: false,
		lastSeenAt: null,
		lastInventoryAt: null,
		lastAddress: '',
		groups: [],
		...over
	};
}

const web = dev({
	name: 'web01',
	online: true,
	groups: [{ id: 1, name: 'web' }],
	lastSeenAt: '2026-01-02T00:00:00Z'
});
const db = dev({
	name: 'db01',
	osName: 'Debian GNU/Linux 12',
	agentVersion: '0.10.0',
	lastSeenAt: '2026-01-01T00:00:00Z'
});
const old = dev({ name: 'old01', revoked: true, agentVersion: '0.9.0' });
const ocs = dev({
	name: 'ocs01',
	source: 'ocs',
	key: 'ocs:1',
	agentVersion: '',
	os: null,
	osName: 'Windows 10'
});

describe('device list', () => {
	it('tells the state of each device', () => {
		expect([web, db, old, ocs].map(deviceState)).toEqual(['online', 'offline', 'revoked', 'ocs']);
		expect(deviceOs(db)).toBe('Debian GNU/Linux 12');
		expect(deviceOs(web)).toBe('Linux 6.1 (x64)');
	});

	it('filters by words, state and group', () => {
		const all = [web, db, old, ocs];
		expect(all.filter((d) => matchesFilter(d, 'debian', 'all', 0))).toEqual([db]);
		expect(all.filter((d) => matchesFilter(d, 'WEB', 'all', 0))).toEqual([web]);
		expect(all.filter((d) => matchesFilter(d, 'linux 01', 'offline', 0))).toEqual([db]);
		expect(all.filter((d) => matchesFilter(d, '', 'ocs', 0))).toEqual([ocs]);
		expect(all.filter((d) => matchesFilter(d, '', 'all', 1))).toEqual([web]);
		expect(all.filter((d) => matchesFilter(d, 'nothing-like-this', 'all', 0))).toEqual([]);
	});

	it('sorts by a column either way, versions numerically, never-seen as oldest', () => {
		const all = [web, db, old, ocs];
		expect(sortDevices(all, 'name', 'asc').map((d) => d.name)).toEqual(['db01', 'ocs01', 'old01', 'web01']);
		expect(sortDevices(all, 'state', 'asc').map((d) => d.name)).toEqual(['web01', 'db01', 'ocs01', 'old01']);
		expect(sortDevices([old, db, web], 'agentVersion', 'desc').map((d) => d.name)).toEqual([
			'db01',
			'old01',
			'web01'
		]);
		expect(sortDevices(all, 'lastSeenAt', 'desc').map((d) => d.name)).toEqual([
			'web01',
			'db01',
			'ocs01',
			'old01'
		]);
		// The input is left as it was.
		expect(all[0]).toBe(web);
	});
});
