// The shared regex check: the message says what is wrong and the position points at it.
import { describe, expect, it } from 'vitest';
import { checkRegex } from '../../../src/lib/logs/regex';
import { logFilterSchema, logRuleInputSchema } from '../../../src/lib/protocol/logs';

const bad = (p: string, flags = '', rule = false) => {
	const c = checkRegex(p, flags, { rule });
	if (c.ok) throw new Error(`expected ${p} to be refused`);
	return c;
};

describe('checkRegex', () => {
	it('accepts ordinary patterns', () => {
		for (const p of [
			'Failed password',
			'kernel panic|Oops',
			'^\\w+\\[\\d+\\]: error',
			'(?<user>\\w+)@(?:host|box)',
			'[a-z0-9._-]+',
			'\\(\\)',
			'a{2,5}b?c*?',
			'(\\d+\\.)+\\d+',
			'[]]',
			'x{',
			'(?=a)b',
			'(?<=a)b'
		])
			expect(checkRegex(p), p).toEqual({ ok: true });
	});

	it('points at an unclosed group', () => {
		const c = bad('error (code 5');
		expect(c.position).toBe(6);
		expect(c.message).toMatch(/never closed.*character 7/);
	});

	it('points at a stray closing parenthesis', () => {
		expect(bad('abc)def').position).toBe(3);
	});

	it('points at an unclosed character class', () => {
		const c = bad('ab[cd');
		expect(c.position).toBe(2);
		expect(c.message).toMatch(/character class/);
	});

	it('points at a backwards range', () => {
		expect(bad('x[z-a]').position).toBe(2);
	});

	it('points at a quantifier with nothing to repeat', () => {
		expect(bad('*abc').position).toBe(0);
		expect(bad('a|+b').position).toBe(2);
		expect(bad('(?:*)').position).toBe(3);
		expect(bad('a**').position).toBe(2);
	});

	it('points at out-of-order repetition counts', () => {
		const c = bad('ab{5,2}');
		expect(c.position).toBe(2);
		expect(c.message).toMatch(/\{5,2\}/);
	});

	it('points at a trailing backslash', () => {
		expect(bad('abc\\').position).toBe(3);
	});

	it('points at a bad group opener and a duplicate name', () => {
		expect(bad('a(?x)').position).toBe(1);
		expect(bad('(?<n>a)(?<n>b)').position).toBe(7);
	});

	it('refuses nested repetition, the shape that can hang', () => {
		expect(bad('^(a+)+$').position).toBe(1);
		expect(bad('x(\\w*)*y').position).toBe(1);
		expect(bad('((ab)+)+').position).toBe(0);
		expect(checkRegex('(ab)+')).toEqual({ ok: true });
	});

	it('refuses rules that match an empty line, but not filters', () => {
		expect(bad('a*', '', true).message).toMatch(/every line/);
		expect(checkRegex('a*')).toEqual({ ok: true });
	});

	it('refuses unknown flags and empty patterns', () => {
		expect(checkRegex('a', 'g').ok).toBe(false);
		expect(checkRegex('').ok).toBe(false);
		expect(checkRegex('A', 'i')).toEqual({ ok: true });
	});

	it('is what the protocol schemas use, naming the field', () => {
		const f = logFilterSchema.safeParse({ include: ['ok', 'bad('] });
		expect(f.success).toBe(false);
		expect(f.error!.issues[0].path).toEqual(['include', 1]);
		expect(f.error!.issues[0].message).toMatch(/character 4/);
		const r = logRuleInputSchema.safeParse({ groupId: 1, name: 'x', pattern: '.*' });
		expect(r.success).toBe(false);
		expect(r.error!.issues[0].path).toEqual(['pattern']);
	});
});
