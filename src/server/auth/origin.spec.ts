import { describe, expect, it } from 'vitest';
import { loadConfig } from '../env';
import { originAllowed, expectedOrigin } from './origin';

const direct = loadConfig({});
const proxied = loadConfig({ FLEETDESK_TRUST_PROXY: '1' });

describe('origin checks (CSRF and sockets)', () => {
	it('accepts the same origin and refuses another', () => {
		const h = { host: 'fd.local:3000' };
		expect(originAllowed(direct, { ...h, origin: 'http://fd.local:3000' }, false)).toBe(true);
		expect(originAllowed(direct, { ...h, origin: 'http://evil.example' }, false)).toBe(false);
		expect(originAllowed(direct, { ...h, origin: 'https://fd.local:3000' }, false)).toBe(false);
		expect(originAllowed(direct, { ...h, origin: 'null' }, false)).toBe(false);
		expect(originAllowed(direct, { ...h, referer: 'http://evil.example/x' }, false)).toBe(false);
		expect(originAllowed(direct, h, false)).toBe(true);
	});

	it('trusts X-Forwarded-* only when told to', () => {
		const h = { host: 'app:3000', 'x-forwarded-host': 'fd.example.com', 'x-forwarded-proto': 'https' };
		expect(expectedOrigin(proxied, h, false)).toBe('https://fd.example.com');
		expect(expectedOrigin(direct, h, false)).toBe('http://app:3000');
	});
});

describe('configuration', () => {
	it('names every invalid variable', () => {
		expect(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x' })).toThrow(
			/PORT[\s\S]*DATABASE_URL must start/
		);
		expect(() => loadConfig({ FLEETDESK_TLS_CERT: '/c.pem' })).toThrow(
			/both FLEETDESK_TLS_CERT and FLEETDESK_TLS_KEY/
		);
	});
	it('treats empty variables as unset', () => {
		expect(loadConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({ port: 3000, databaseUrl: undefined });
	});
});
