// Search patterns as people type them (grep -E / JavaScript style) checked here, before PostgreSQL sees
// them, so a mistake is reported at its character; then written as a PostgreSQL regular expression (ARE):
// \b and \B become \y and \Y, everything else accepted here means the same in both.
import { UserError } from '../errors';

export class PatternError extends UserError {
	constructor(
		readonly position: number,
		what: string
	) {
		super(`The pattern has an error at character ${position}: ${what}.`);
	}
}

/** PostgreSQL's largest repetition count. */
const DUP_MAX = 255;
const CLASS_ESCAPES = 'dDwWsS';
const SIMPLE_ESCAPES: Record<string, string> = {
	n: '\\n',
	t: '\\t',
	r: '\\r',
	f: '\\f',
	v: '\\v',
	a: '\\a',
	e: '\\e',
	y: '\\y',
	Y: '\\Y',
	m: '\\m',
	M: '\\M'
};

/** Validates `pattern` and returns it as a PostgreSQL ARE; throws PatternError pointing at the mistake. */
export function toPostgresRegex(pattern: string): string {
	const s = [...pattern];
	let i = 0;
	let out = '';
	const open: number[] = [];
	// Can a quantifier follow here (something to repeat)?
	let atom = false;
	const fail = (at: number, what: string): never => {
		throw new PatternError(at + 1, what);
	};
	while (i < s.length) {
		const c = s[i];
		if (c === '\\') {
			const n = s[i + 1];
			if (n === undefined) fail(i, 'it ends with a lone backslash; write \\\\ for a backslash');
			if (n === 'b' || n === 'B') out += n === 'b' ? '\\y' : '\\Y';
			else if (CLASS_ESCAPES.includes(n)) out += '\\' + n;
			else if (n in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[n];
			else if (/[1-9]/.test(n)) {
				if (Number(n) > open.length + countClosed(pattern, i))
					fail(i, `\\${n} refers to a group that does not exist`);
				out += '\\' + n;
			} else if (n === 'x') {
				const hex = /^[0-9a-fA-F]{2}/.exec(s.slice(i + 2, i + 4).join(''));
				if (!hex) fail(i, '\\x needs two hex digits, as in \\x41');
				out += '\\x' + hex![0];
				i += 2;
			} else if (n === 'u') {
				const hex = /^[0-9a-fA-F]{4}/.exec(s.slice(i + 2, i + 6).join(''));
				if (!hex) fail(i, '\\u needs four hex digits, as in \\u00e9');
				out += '\\u' + hex![0];
				i += 4;
			} else if (/[A-Za-z0-9]/.test(n)) fail(i, `\\${n} is not an escape this search knows`);
			else out += '\\' + n;
			i += 2;
			atom = !/[bBymM]/.test(n);
			continue;
		}
		if (c === '[') {
			const end = bracket(s, i, fail);
			out += s.slice(i, end + 1).join('');
			i = end + 1;
			atom = true;
			continue;
		}
		if (c === '(') {
			let j = i + 1;
			if (s[j] === '?') {
				const kind = s.slice(j, j + 3).join('');
				if (kind.startsWith('?:') || kind.startsWith('?=') || kind.startsWith('?!')) j += 2;
				else if (kind === '?<=' || kind === '?<!') j += 3;
				else if (kind.startsWith('?<')) fail(i, 'named groups (?<name>…) are not supported; use (…)');
				else
					fail(
						i,
						`"(${kind}" is not a group this search knows; use (…), (?:…), (?=…), (?!…), (?<=…) or (?<!…)`
					);
			}
			open.push(i);
			out += s.slice(i, j).join('');
			i = j;
			atom = false;
			continue;
		}
		if (c === ')') {
			if (!open.length) fail(i, '")" closes nothing; escape it as \\) or add the "("');
			open.pop();
			out += c;
			i++;
			atom = true;
			continue;
		}
		if (c === '*' || c === '+' || c === '?' || c === '{') {
			if (c === '{') {
				const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i, i + 12).join(''));
				if (!m) {
					// A "{" that starts no count is an ordinary character, as in grep -E.
					out += '\\{';
					i++;
					atom = true;
					continue;
				}
				const lo = Number(m[1]);
				const hi = m[3] ? Number(m[3]) : lo;
				if (!atom) fail(i, `"${m[0]}" has nothing to repeat`);
				if (lo > DUP_MAX || hi > DUP_MAX) fail(i, `a repetition count is at most ${DUP_MAX}`);
				if (m[2] && m[3] && hi < lo) fail(i, `in "${m[0]}" the smaller count must come first`);
				out += m[0];
				i += m[0].length;
			} else {
				if (!atom) fail(i, `"${c}" has nothing to repeat; escape it as \\${c} to search for it`);
				out += c;
				i++;
			}
			if (s[i] === '?') {
				out += '?';
				i++;
			}
			if (s[i] === '*' || s[i] === '+' || (s[i] === '{' && /^\{\d/.test(s.slice(i, i + 3).join(''))))
				fail(i, `"${s[i]}" repeats a repetition; put the part in a group first`);
			atom = false;
			continue;
		}
		if (c === '|') {
			out += c;
			i++;
			atom = false;
			continue;
		}
		out += c;
		i++;
		atom = c !== '^' && c !== '$';
	}
	if (open.length) fail(open[open.length - 1], '"(" is never closed; close it with ")" or escape it as \\(');
	return out;
}

/** Groups closed before position `at` (for back-references). */
function countClosed(pattern: string, at: number): number {
	let n = 0;
	for (let i = 0; i < at; i++) if (pattern[i] === ')' && pattern[i - 1] !== '\\') n++;
	return n;
}

/** The index of the "]" that ends the bracket expression opened at `start`. */
function bracket(s: string[], start: number, fail: (at: number, what: string) => never): number {
	let i = start + 1;
	if (s[i] === '^') i++;
	if (s[i] === ']') i++;
	let prev: string | null = null;
	while (i < s.length) {
		const c = s[i];
		if (c === ']') return i;
		if (c === '[' && (s[i + 1] === ':' || s[i + 1] === '.' || s[i + 1] === '=')) {
			const close = s
				.slice(i + 2)
				.join('')
				.indexOf(s[i + 1] + ']');
			if (close < 0) fail(i, `"[${s[i + 1]}" is never closed with "${s[i + 1]}]"`);
			const name = s.slice(i + 2, i + 2 + close).join('');
			if (
				s[i + 1] === ':' &&
				!/^(alnum|alpha|blank|cntrl|digit|graph|lower|print|punct|space|upper|xdigit|word)$/.test(name)
			)
				fail(i, `"[:${name}:]" is not a character class`);
			i += close + 4;
			prev = null;
			continue;
		}
		if (c === '\\') {
			const n = s[i + 1];
			if (n === undefined) break;
			if ('DSW'.includes(n)) fail(i, `\\${n} cannot be used inside [ ]`);
			prev = 'dsw'.includes(n) ? null : n;
			i += 2;
			continue;
		}
		if (c === '-' && prev !== null && s[i + 1] !== undefined && s[i + 1] !== ']') {
			const to = s[i + 1] === '\\' ? s[i + 2] : s[i + 1];
			if (to !== undefined && to < prev) fail(i - 1, `the range "${prev}-${to}" is out of order`);
			i += s[i + 1] === '\\' ? 3 : 2;
			prev = null;
			continue;
		}
		prev = c;
		i++;
	}
	return fail(start, '"[" is never closed; close it with "]" or escape it as \\[');
}

/** A LIKE pattern that matches `text` anywhere. */
export function likeContaining(text: string): string {
	return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
