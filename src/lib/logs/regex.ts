// The one regex check for the log viewer's filters and pattern rules, shared by the browser (message under the
// field), the server (refuses bad input) and the agent (runs the same engine). JavaScript's own error says
// what is wrong but not where, so a small scanner finds the position of the usual mistakes.

export const REGEX_MAX_LENGTH = 1000;
/** Flags a pattern may carry: case-insensitive only (the engine's others change what a line is). */
export const REGEX_FLAGS = ['', 'i'] as const;
export type RegexFlags = (typeof REGEX_FLAGS)[number];

export type RegexCheck = { ok: true } | { ok: false; message: string; position: number };

export interface RegexCheckOptions {
	/** Pattern rules run on every line: refuse a pattern that matches an empty line (it would fire on all). */
	rule?: boolean;
}

const at = (position: number, message: string): RegexCheck => ({
	ok: false,
	position,
	message: `${message} (at character ${position + 1}).`
});

/** Checks a pattern; `position` is the 0-based index the caret should point at. */
export function checkRegex(pattern: string, flags = '', opts: RegexCheckOptions = {}): RegexCheck {
	if (!pattern) return { ok: false, position: 0, message: 'Type a pattern.' };
	if (pattern.length > REGEX_MAX_LENGTH)
		return at(REGEX_MAX_LENGTH, `A pattern is at most ${REGEX_MAX_LENGTH} characters`);
	if (!(REGEX_FLAGS as readonly string[]).includes(flags))
		return { ok: false, position: 0, message: 'The only flag allowed is i (ignore case).' };
	let re: RegExp;
	try {
		re = new RegExp(pattern, flags);
	} catch (e) {
		const found = locate(pattern);
		if (found) return found;
		const why = String((e as Error).message).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
		return at(Math.max(0, pattern.length - 1), `This is not a valid pattern: ${why}`);
	}
	// Filters run on the agent over big files and rules on every line: both refuse the shape that can hang.
	const nested = nestedQuantifier(pattern);
	if (nested !== null)
		return at(nested, 'A repeated group that itself ends in a repetition, such as (a+)+, can take very long');
	if (opts.rule && re.test(''))
		return at(0, 'This pattern matches an empty line, so it would match every line');
	return { ok: true };
}

/** Throws an Error with the check's message when the pattern is bad; returns the compiled expression. */
export function compileRegex(pattern: string, flags = '', opts: RegexCheckOptions = {}): RegExp {
	const c = checkRegex(pattern, flags, opts);
	if (!c.ok) throw new Error(c.message);
	return new RegExp(pattern, flags);
}

const QUANT = new Set(['*', '+', '?']);

/** Finds the first structural mistake a scan can see; null when it sees none. */
function locate(p: string): RegexCheck | null {
	const open: number[] = [];
	const names = new Set<string>();
	// Whether the previous token can be repeated (an atom, not the start, "(" or "|").
	let atom = false;
	let afterQuant = false;
	for (let i = 0; i < p.length; i++) {
		const c = p[i];
		if (c === '\\') {
			if (i === p.length - 1) return at(i, 'The pattern ends with a lone backslash; write \\\\ for one');
			i++;
			atom = true;
			afterQuant = false;
			continue;
		}
		if (c === '[') {
			const end = classEnd(p, i);
			if (end < 0) return at(i, 'This [ starts a character class that is never closed with ]');
			const bad = badRange(p, i + 1, end);
			if (bad !== null) return at(bad, 'This range in [ ] goes backwards; write the smaller character first');
			i = end;
			atom = true;
			afterQuant = false;
			continue;
		}
		if (c === '(') {
			if (p[i + 1] === '?') {
				const rest = p.slice(i + 2);
				const named = /^<([A-Za-z_$][\w$]*)>/.exec(rest);
				const plain = /^(:|=|!|<=|<!)/.exec(rest);
				if (named) {
					if (names.has(named[1])) return at(i, `The group name "${named[1]}" is used twice`);
					names.add(named[1]);
				} else if (!plain) return at(i, 'After (? write :, =, !, <=, <! or <name>');
				open.push(i);
				i += 1 + (named ? named[0].length : plain![0].length);
				atom = false;
				afterQuant = false;
				continue;
			}
			open.push(i);
			atom = false;
			afterQuant = false;
			continue;
		}
		if (c === ')') {
			if (!open.length)
				return at(i, 'This ) closes a group that was never opened; write \\) for the character');
			open.pop();
			atom = true;
			afterQuant = false;
			continue;
		}
		if (c === '|') {
			atom = false;
			afterQuant = false;
			continue;
		}
		if (QUANT.has(c) || (c === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i)))) {
			if (c === '?' && afterQuant) {
				afterQuant = false; // lazy quantifier
				atom = false;
				continue;
			}
			if (!atom) return at(i, `Nothing to repeat: ${c} must follow a character or group`);
			if (c === '{') {
				const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i))!;
				if (m[3] && Number(m[3]) < Number(m[1])) return at(i, `The numbers in ${m[0]} are out of order`);
				i += m[0].length - 1;
			}
			atom = false;
			afterQuant = true;
			continue;
		}
		atom = c !== '^';
		afterQuant = false;
	}
	if (open.length) return at(open[open.length - 1], 'This ( starts a group that is never closed with )');
	const ref = /\\k<([^>]*)>/.exec(p);
	if (ref && names.size && !names.has(ref[1])) return at(ref.index, `There is no group named "${ref[1]}"`);
	return null;
}

/** Index of the ] that closes the class opened at `start`, or -1. */
function classEnd(p: string, start: number): number {
	let i = start + 1;
	if (p[i] === '^') i++;
	if (p[i] === ']') return i; // "[]" is an empty class in JavaScript
	for (; i < p.length; i++) {
		if (p[i] === '\\') i++;
		else if (p[i] === ']') return i;
	}
	return -1;
}

/** The index of a backwards range such as z-a inside a class body, or null. */
function badRange(p: string, from: number, to: number): number | null {
	const chars: { ch: number | null; at: number }[] = [];
	for (let i = from; i < to; i++) {
		if (p[i] === '\\') {
			const e = p[i + 1];
			chars.push({ ch: /[dDwWsSbB]/.test(e) ? null : literalEscape(e), at: i });
			i++;
		} else chars.push({ ch: p.charCodeAt(i), at: i });
	}
	for (let k = 1; k + 1 < chars.length; k++) {
		if (p[chars[k].at] !== '-' || p[chars[k].at - 1] === '\\') continue;
		const a = chars[k - 1].ch;
		const b = chars[k + 1].ch;
		if (a !== null && b !== null && a > b) return chars[k - 1].at;
	}
	return null;
}

function literalEscape(e: string): number {
	const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };
	return (map[e] ?? e).charCodeAt(0);
}

/**
 * Where a group repeated with + or * (or {n,}) ends in an atom itself repeated with + or *: the classic
 * catastrophic-backtracking shape. Returns the group's "(" index, or null.
 */
function nestedQuantifier(p: string): number | null {
	const stack: { start: number; innerRepeat: boolean }[] = [];
	let lastRepeat = false;
	for (let i = 0; i < p.length; i++) {
		const c = p[i];
		if (c === '\\') {
			i++;
			lastRepeat = false;
			continue;
		}
		if (c === '[') {
			i = Math.max(i, classEnd(p, i));
			lastRepeat = false;
			continue;
		}
		if (c === '(') {
			stack.push({ start: i, innerRepeat: false });
			lastRepeat = false;
			continue;
		}
		if (c === '|') {
			if (stack.length && lastRepeat) stack[stack.length - 1].innerRepeat = true;
			lastRepeat = false;
			continue;
		}
		if (c === ')') {
			const g = stack.pop();
			const inner = !!g && (g.innerRepeat || lastRepeat);
			const next = p[i + 1];
			const outer = next === '+' || next === '*' || (next === '{' && /^\{\d+,\}/.test(p.slice(i + 1)));
			if (g && inner && outer) return g.start;
			lastRepeat = outer;
			continue;
		}
		if (c === '+' || c === '*') {
			lastRepeat = true;
			continue;
		}
		if (c === '?' && lastRepeat) continue;
		const range = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i)) : null;
		if (range) {
			lastRepeat = range[2] !== undefined && range[3] === '';
			i += range[0].length - 1;
			continue;
		}
		lastRepeat = false;
	}
	return null;
}
