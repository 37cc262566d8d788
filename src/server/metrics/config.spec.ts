import { describe, expect, it } from 'vitest';
import { loadConfig } from '../env';

describe('resource history settings', () => {
	it('keep raw samples 7 days and aggregates 400, rolled up every 5 minutes, unless set', () => {
		expect(loadConfig({}).metrics).toEqual({ rawDays: 7, rollupDays: 400, jobSeconds: 300 });
		expect(
			loadConfig({
				FLEETDESK_METRICS_RAW_DAYS: '3',
				FLEETDESK_METRICS_ROLLUP_DAYS: '30',
				FLEETDESK_METRICS_JOB_SECONDS: '60'
			}).metrics
		).toEqual({ rawDays: 3, rollupDays: 30, jobSeconds: 60 });
	});
	it('refuse values that make no sense, naming the variable', () => {
		expect(() => loadConfig({ FLEETDESK_METRICS_RAW_DAYS: '0' })).toThrow(
			/FLEETDESK_METRICS_RAW_DAYS must be at least 1/
		);
		expect(() => loadConfig({ FLEETDESK_METRICS_ROLLUP_DAYS: 'a year' })).toThrow(
			/FLEETDESK_METRICS_ROLLUP_DAYS/
		);
		expect(() => loadConfig({ FLEETDESK_METRICS_JOB_SECONDS: '1' })).toThrow(
			/FLEETDESK_METRICS_JOB_SECONDS must be at least 5/
		);
	});
});
