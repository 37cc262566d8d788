import { describe, expect, it } from 'vitest';
import { loadConfig } from './env';

describe('the access-log retention job setting', () => {
	it('runs hourly unless set, in whole minutes up to a day', () => {
		expect(loadConfig({}).accessLog.retentionIntervalMs).toBe(3_600_000);
		expect(loadConfig({ FLEETDESK_ACCESS_LOG_RETENTION_MINUTES: '15' }).accessLog.retentionIntervalMs).toBe(
			900_000
		);
	});
	it('refuses values that make no sense, naming the variable', () => {
		expect(() => loadConfig({ FLEETDESK_ACCESS_LOG_RETENTION_MINUTES: '0' })).toThrow(
			/FLEETDESK_ACCESS_LOG_RETENTION_MINUTES must be at least 1/
		);
		expect(() => loadConfig({ FLEETDESK_ACCESS_LOG_RETENTION_MINUTES: '1441' })).toThrow(
			/at most 1440 \(a day\)/
		);
		expect(() => loadConfig({ FLEETDESK_ACCESS_LOG_RETENTION_MINUTES: 'hourly' })).toThrow(
			/FLEETDESK_ACCESS_LOG_RETENTION_MINUTES/
		);
	});
});
