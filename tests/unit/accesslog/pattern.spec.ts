import { describe, expect, it } from 'vitest';
import { PatternError, likeContaining, toPostgresRegex } from '../../../src/server/accesslog/pattern';

function errorAt(p: string): { position: number; message: string } {
	try {
		toPostgresRegex(p);
	} catch (e) {
		if (e instanceof PatternError) return { position: e.position, message: e.message };
		throw e;
	}
	throw new Error(`"${p}" was accepted`);
}

describe('search patterns', () => {
	it('accepts grep -E / JavaScript style and writes PostgreSQL ARE', () => {
		expect(toPostgresRegex('Failed password for (invalid user )?\\w+ from [0-9.]+')).toBe(
			'Failed password for (invalid user )?\\w+ from [0-9.]+'
		);
		expect(toPostgresRegex('\\bpanic\\b')).toBe('\\ypanic\\y');
		expect(toPostgresRegex('a{2,3}?(?:b|c)(?=d)(?<!e)')).toBe('a{2,3}?(?:b|c)(?=d)(?<!e)');
		expect(toPostgresRegex('x{y')).toBe('x\\{y');
		expect(toPostgresRegex('[[:alpha:]_-]+\\.log$')).toBe('[[:alpha:]_-]+\\.log$');
	});

	it('points at the character where the mistake is', () => {
		expect(errorAt('kernel (panic')).toMatchObject({
			position: 8,
			message: expect.stringMatching(/"\(" is never closed/)
		});
		expect(errorAt('panic)')).toMatchObject({ position: 6 });
		expect(errorAt('*oops')).toMatchObject({
			position: 1,
			message: expect.stringMatching(/nothing to repeat/)
		});
		expect(errorAt('ab[c-a]')).toMatchObject({ position: 4, message: expect.stringMatching(/out of order/) });
		expect(errorAt('abc[def')).toMatchObject({ position: 4 });
		expect(errorAt('a{3,1}')).toMatchObject({ position: 2 });
		expect(errorAt('a{300}')).toMatchObject({ position: 2 });
		expect(errorAt('a**')).toMatchObject({ position: 3 });
		expect(errorAt('(?<name>x)')).toMatchObject({
			position: 1,
			message: expect.stringMatching(/named groups/)
		});
		expect(errorAt('end\\')).toMatchObject({ position: 4 });
		expect(errorAt('\\q')).toMatchObject({ position: 1 });
		expect(errorAt('(a)\\2')).toMatchObject({ position: 4 });
		expect(errorAt('ü(')).toMatchObject({ position: 2 });
	});

	it('searches plain text literally', () => {
		expect(likeContaining('100%_done\\')).toBe('%100\\%\\_done\\\\%');
	});
});
