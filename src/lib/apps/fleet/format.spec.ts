import { describe, expect, it } from 'vitest';
import {
	enrolCommand,
	formatBytes,
	formatDuration,
	formatMb,
	formatPercent,
	gatewayUrl,
	osLabel,
	parseTtl,
	shellQuote
} from './format';

describe('fleet formatting', () => {
	it('shows sizes in binary units', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(1023)).toBe('1023 B');
		expect(formatBytes(1536)).toBe('1.5 KiB');
		expect(formatBytes(10 * 1024 * 1024)).toBe('10 MiB');
		expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GiB');
		expect(formatBytes(null)).toBe('—');
		expect(formatMb(16384)).toBe('16 GiB');
	});

	it('shows percentages and durations', () => {
		expect(formatPercent(12.345)).toBe('12.3%');
		expect(formatPercent(null)).toBe('—');
		expect(formatDuration(850)).toBe('850 ms');
		expect(formatDuration(12_400)).toBe('12.4 s');
		expect(formatDuration(125_000)).toBe('2 min 5 s');
		expect(formatDuration(3_723_000)).toBe('1 h 2 min');
		expect(formatDuration(null)).toBe('—');
	});

	it('names operating systems', () => {
		expect(osLabel({ platform: 'linux', release: '6.1.0-18', arch: 'x64' })).toBe('Linux 6.1.0-18 (x64)');
		expect(osLabel({ platform: 'win32', release: '10.0', arch: '' })).toBe('Windows 10.0');
		expect(osLabel(null)).toBe('—');
	});

	it('reads token lifetimes', () => {
		expect(parseTtl('1h')).toBe(3600);
		expect(parseTtl('30m')).toBe(1800);
		expect(parseTtl('2d')).toBe(172_800);
		expect(parseTtl('45')).toBe(45);
		expect(parseTtl('1 H')).toBe(3600);
		expect(parseTtl('an hour')).toBeNull();
		expect(parseTtl('-5m')).toBeNull();
	});

	it('quotes what a shell would split', () => {
		expect(shellQuote('fdj1.abc.DEF_-.x')).toBe('fdj1.abc.DEF_-.x');
		expect(shellQuote('a b')).toBe("'a b'");
		expect(shellQuote("it's")).toBe("'it'\\''s'");
		expect(enrolCommand('https://fd.example.com:8443', 'fdj1.x.y.z')).toBe(
			'fleetdesk-agent enroll --server https://fd.example.com:8443 --token fdj1.x.y.z'
		);
	});

	it('picks the gateway address the agents will reach', () => {
		const gw = { running: true, port: 8443, hostnames: ['fd01', 'localhost', '127.0.0.1'] };
		expect(gatewayUrl(gw, '127.0.0.1')).toBe('https://127.0.0.1:8443');
		// The browser's name is not in the certificate: agents would fail the name check with it.
		expect(gatewayUrl(gw, 'proxy.example.com')).toBe('https://fd01:8443');
		expect(gatewayUrl({ running: true, port: 8443, hostnames: ['::1'] }, 'x')).toBe('https://[::1]:8443');
		expect(gatewayUrl({ running: false, port: null, hostnames: [] }, 'x')).toBeNull();
		expect(gatewayUrl(undefined, 'x')).toBeNull();
	});
});
