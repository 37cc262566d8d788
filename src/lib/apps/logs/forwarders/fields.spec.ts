import { describe, expect, it } from 'vitest';
import { fieldErrors } from './fields';

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
