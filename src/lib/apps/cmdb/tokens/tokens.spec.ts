import { describe, expect, it } from 'vitest';
import { curlExample, tokenStatus } from './tokens';

describe('API token status', () => {
	const now = Date.parse('2030-01-01T00:00:00Z');
	it('is revoked, expired or active', () => {
		expect(tokenStatus({ revokedAt: '2029-12-01T00:00:00Z', expiresAt: '2031-01-01T00:00:00Z' }, now)).toBe(
			'revoked'
		);
		expect(tokenStatus({ revokedAt: null, expiresAt: '2029-12-31T23:59:59Z' }, now)).toBe('expired');
		expect(tokenStatus({ revokedAt: null, expiresAt: '2030-01-02T00:00:00Z' }, now)).toBe('active');
	});
	it('shows a curl line with the token as a bearer header', () => {
		expect(curlExample('https://fd.example', 'fdk_1_abc')).toBe(
			"curl -H 'Authorization: Bearer fdk_1_abc' https://fd.example/api/v1/cis"
		);
	});
});
