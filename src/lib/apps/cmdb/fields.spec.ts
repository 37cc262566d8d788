import { describe, expect, it } from 'vitest';
import { checkValue } from '$lib/cmdb/values';
import { displayValue, fromInput, isoToLocal, localToIso, parseFieldErrors, toInput } from './fields';

describe('parseFieldErrors', () => {
	it('places each field error of a ValidationError message', () => {
		const msg =
			'ramMb: must be a whole number (got "x"); ipAddress: must be an IPv4 or IPv6 address (got "1.2")';
		expect(parseFieldErrors(msg, ['name', 'ramMb', 'ipAddress'])).toEqual({
			ramMb: 'must be a whole number (got "x")',
			ipAddress: 'must be an IPv4 or IPv6 address (got "1.2")'
		});
	});

	it('does not split at a "; " inside a message, and matches field names case-insensitively', () => {
		const msg = 'assetTag: must be unique; "A; B" is already used by pc-1 (#3); Status: is required';
		expect(parseFieldErrors(msg, ['assetTag', 'status'])).toEqual({
			assetTag: 'must be unique; "A; B" is already used by pc-1 (#3)',
			status: 'is required'
		});
	});

	it("folds zod's doubled prefix and ignores sentences that name no field", () => {
		expect(parseFieldErrors('name: name: a CI needs a name', ['name'])).toEqual({
			name: 'a CI needs a name'
		});
		expect(parseFieldErrors('pc-1 was changed by someone else (now at version 3).', ['name'])).toEqual({});
		expect(parseFieldErrors('message: changes to Rack need a change message', ['message'])).toEqual({
			message: 'changes to Rack need a change message'
		});
	});
});

describe('form values', () => {
	it('round-trips a datetime through datetime-local in local time', () => {
		const iso = '2026-05-01T14:30:00.000Z';
		const local = isoToLocal(iso);
		expect(local).toMatch(/^2026-05-0[12]T\d{2}:30$/);
		expect(localToIso(local)).toBe(iso);
		expect(localToIso('2026-13-45')).toBeUndefined();
		expect(isoToLocal('2026-05-01T14:30:15.000Z')).toMatch(/:30:15$/);
	});

	it('gives inputs text and takes empty text as no value', () => {
		expect(toInput('boolean', true)).toBe('yes');
		expect(toInput('boolean', false)).toBe('no');
		expect(toInput('integer', 42)).toBe('42');
		expect(toInput('text', null)).toBe('');
		expect(fromInput('text', '  ')).toBeNull();
		const r = checkValue({ name: 'b', type: 'boolean' }, fromInput('boolean', 'no'));
		expect(r).toEqual({ ok: true, value: false });
		const d = checkValue(
			{ name: 'd', type: 'datetime' },
			fromInput('datetime', isoToLocal('2026-01-02T03:04:00.000Z'))
		);
		expect(d).toEqual({ ok: true, value: '2026-01-02T03:04:00.000Z' });
	});

	it('shows values readably', () => {
		expect(displayValue('boolean', false)).toBe('No');
		expect(displayValue('text', null)).toBe('');
		expect(displayValue('reference', 12)).toBe('#12');
		expect(displayValue(undefined, { a: 1 })).toBe('{"a":1}');
	});
});
