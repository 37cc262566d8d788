import { describe, expect, it } from 'vitest';
import { highlighters, segments } from './highlight';
import { lineFilter, patternProblem } from './filter';
import { rowsToText } from './rows';
import { exportName } from './export';

describe('highlighting', () => {
	it('splits a line at every match, marked with the filter that matched', () => {
		const res = highlighters(['fail(ed)?', 'root'], false);
		expect(segments('Failed password for root from 10.0.0.1', res)).toEqual([
			{ text: 'Failed', mark: 0 },
			{ text: ' password for ', mark: -1 },
			{ text: 'root', mark: 1 },
			{ text: ' from 10.0.0.1', mark: -1 }
		]);
	});

	it('keeps the earlier of overlapping matches and skips empty ones and bad patterns', () => {
		const res = highlighters(['abc', 'bcd', 'x*', '('], true);
		expect(res[3]).toBeNull();
		expect(segments('abcd', res)).toEqual([
			{ text: 'abc', mark: 0 },
			{ text: 'd', mark: -1 }
		]);
	});

	it('treats markup as text', () => {
		expect(segments('<img src=x onerror=alert(1)>', highlighters(['img'], false))).toEqual([
			{ text: '<', mark: -1 },
			{ text: 'img', mark: 0 },
			{ text: ' src=x onerror=alert(1)>', mark: -1 }
		]);
	});
});

describe('filtering in the browser (access logs)', () => {
	const lines = [
		'boot',
		'sshd: Failed password',
		'cron: job',
		'sshd: Accepted',
		'sshd: Failed again CRON',
		'end'
	].map((text, i) => ({ n: i + 1, offset: null, text }));

	it('ANDs include patterns, drops excluded lines, and adds context', () => {
		const f = lineFilter({
			include: ['sshd', 'failed'],
			exclude: ['CRON'],
			ignoreCase: true,
			before: 1,
			after: 1
		});
		const rows = f.rows(lines, 1, 100, true);
		expect(rows.map((r) => [r.n, r.hit])).toEqual([
			[1, false],
			[2, true],
			[3, false]
		]);
	});

	it('leaves the last lines for the next page when their after-context is not there yet', () => {
		const f = lineFilter({ include: ['sshd'], ignoreCase: true, before: 0, after: 2 });
		expect(
			f
				.rows(lines, 1, 100, false)
				.filter((r) => r.hit)
				.map((r) => r.n)
		).toEqual([2, 4]);
		expect(
			f
				.rows(lines, 1, 100, true)
				.filter((r) => r.hit)
				.map((r) => r.n)
		).toEqual([2, 4, 5]);
	});

	it('says where a pattern is wrong', () => {
		expect(patternProblem('ab(c', true)).toMatchObject({ position: 2 });
		expect(patternProblem('a[z-a]', true)).toMatchObject({ position: 2 });
		expect(patternProblem('fine.*', true)).toBeNull();
	});
});

describe('export', () => {
	it('writes lines with separators between groups, and names the file after the source', () => {
		const rows = [
			{ n: 4, offset: 0, text: 'a', hit: true },
			{ n: 9, offset: 0, text: 'b', hit: true, gap: true, truncated: true }
		];
		expect(rowsToText(rows)).toBe('a\n--\nb [line cut]\n');
		expect(rowsToText(rows, true)).toBe('4\ta\n--\n9\tb [line cut]\n');
		expect(exportName('auth.log', 'lines-4-9')).toBe('auth.log-lines-4-9.txt');
		expect(exportName('../x', '')).toBe('x.txt');
	});
});
