import { describe, expect, it } from 'vitest';
import { fieldErrors, formatHeaderLines, parseHeaderLines, type HeaderLine } from './fields';

describe('fieldErrors', () => {
	const known = ['name', 'host', 'port', 'url'];
	it('puts each zod message at its field, with or without the patch prefix', () => {
		expect(
			fieldErrors('port: Ports are 1–65535; patch.host: The host is a name or an IP address', known)
		).toEqual({
			fields: { port: 'Ports are 1–65535.', host: 'The host is a name or an IP address.' },
			rest: ''
		});
	});
	it('keeps what names no known field', () => {
		expect(fieldErrors('The server failed to do this; the error is in its log.', known)).toEqual({
			fields: {},
			rest: 'The server failed to do this; the error is in its log.'
		});
		expect(fieldErrors('facility: The syslog facility is 0–23', known).rest).toBe(
			'facility: The syslog facility is 0–23'
		);
	});
	it('shows a name clash at the name', () => {
		expect(fieldErrors('A forwarder named "a" exists already.', known, 'CONFLICT').fields.name).toBe(
			'A forwarder named "a" exists already.'
		);
	});
});

describe('header lines', () => {
	it('reads "Name: value" per line, skipping blank lines, and writes them back', () => {
		const text = 'X-Scope-OrgID: tenant-1\n\n  X-Env :  prod east \n';
		const r = parseHeaderLines(text);
		expect(r).toEqual({
			headers: [
				{ name: 'X-Scope-OrgID', value: 'tenant-1' },
				{ name: 'X-Env', value: 'prod east' }
			]
		});
		expect(formatHeaderLines((r as { headers: HeaderLine[] }).headers)).toBe(
			'X-Scope-OrgID: tenant-1\nX-Env: prod east'
		);
		expect(parseHeaderLines('A: b:c')).toEqual({ headers: [{ name: 'A', value: 'b:c' }] });
	});
	it('names the line that is not a header', () => {
		expect(parseHeaderLines('A: b\nno colon here')).toEqual({
			error: 'Line 2: write a header as "Name: value".'
		});
		expect(parseHeaderLines(': value')).toEqual({ error: 'Line 1: write a header as "Name: value".' });
	});
});
