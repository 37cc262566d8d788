import { describe, expect, it } from 'vitest';
import { parseView, viewProps } from './view';

describe('fleet window view', () => {
	it('falls back to the device list for anything unknown', () => {
		expect(parseView({})).toEqual({ tab: 'devices', device: null, deviceTab: 'overview' });
		expect(parseView({ tab: 'nope', device: 42, deviceTab: 'x' })).toEqual({
			tab: 'devices',
			device: null,
			deviceTab: 'overview'
		});
		expect(parseView({ device: 'agent:../../etc' }).device).toBeNull();
	});

	it('keeps a device and its tab, and round-trips through props', () => {
		const v = parseView({ tab: 'devices', device: 'agent:0b8f-11', deviceTab: 'tasks' });
		expect(v).toEqual({ tab: 'devices', device: 'agent:0b8f-11', deviceTab: 'tasks' });
		expect(parseView(viewProps(v))).toEqual(v);
		expect(parseView({ device: 'ocs:12' }).device).toBe('ocs:12');
	});

	it('shows no device outside the devices tab', () => {
		expect(parseView({ tab: 'tokens', device: 'agent:1' }).device).toBeNull();
	});
});
