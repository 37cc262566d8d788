import { describe, expect, it } from 'vitest';
import { deepLink, parseDeepLink } from './deep-link';

describe('desktop deep links', () => {
	it('round-trips an app and its props', () => {
		const link = deepLink('logs', { bookmark: 12, note: 'a b&c' });
		expect(link).toBe('/?app=logs&bookmark=12&note=a+b%26c');
		expect(parseDeepLink(link)).toEqual({ app: 'logs', props: { bookmark: '12', note: 'a b&c' } });
	});

	it('reads the search part of the address bar', () => {
		expect(parseDeepLink('?app=consoles&console=3')).toEqual({ app: 'consoles', props: { console: '3' } });
	});

	it('refuses other origins, other paths and malformed app names', () => {
		expect(parseDeepLink('https://evil.example/?app=logs')).toBeNull();
		expect(parseDeepLink('//evil.example/?app=logs')).toBeNull();
		expect(parseDeepLink('/login?app=logs')).toBeNull();
		expect(parseDeepLink('/?app=Logs%3Cscript')).toBeNull();
		expect(parseDeepLink('/?x=1')).toBeNull();
	});

	it('drops odd prop names and over-long values', () => {
		expect(parseDeepLink(`/?app=logs&__proto__=1&ok=1&long=${'x'.repeat(3000)}`)).toEqual({
			app: 'logs',
			props: { ok: '1' }
		});
	});
});
