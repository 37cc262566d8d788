// Console output as the lines a person reads, for a macro's wait-for steps: decoded as a stream (a character
// split over two chunks is kept whole), escape sequences removed once the line is whole (so one split over two
// chunks is removed too), carriage returns and backspaces applied as a terminal would.
import { stripAnsi } from '../../accesslog/text';

/** A line longer than this is cut (a program printing without newlines must not grow the buffer). */
export const MAX_LINE_CHARS = 16 * 1024;

/** CR goes back to column 0 and overwrites; BS goes one column left. */
export function applyEdits(raw: string): string {
	const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
	if (!line.includes('\r') && !line.includes('\b')) return line;
	const cells: string[] = [];
	let col = 0;
	for (const ch of line) {
		if (ch === '\r') col = 0;
		else if (ch === '\b') col = Math.max(0, col - 1);
		else cells[col++] = ch;
	}
	return cells.join('');
}

export function cleanLine(raw: string): string {
	return applyEdits(stripAnsi(raw));
}

// A complete CSI, OSC (ended by BEL or ST) or two-character escape at the start of the text.
// eslint-disable-next-line no-control-regex
const WHOLE_ESCAPE = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[^[\]])/;

/** The open line without an escape sequence still arriving at its end (its first bytes are no text). */
function openLine(raw: string): string {
	const esc = raw.lastIndexOf('\x1b');
	if (esc >= 0 && raw.length - esc < 256 && !WHOLE_ESCAPE.test(raw.slice(esc)))
		return cleanLine(raw.slice(0, esc));
	return cleanLine(raw);
}

export class OutputLines {
	#decoder = new TextDecoder('utf-8');
	#partial = '';

	/** The lines this chunk completed, and the (cleaned) text of the line still open after it. */
	push(data: Uint8Array): { lines: string[]; partial: string } {
		const text = this.#partial + this.#decoder.decode(data, { stream: true });
		const parts = text.split('\n');
		this.#partial = parts.pop() ?? '';
		const lines = parts.map(cleanLine);
		while (this.#partial.length > MAX_LINE_CHARS) {
			lines.push(cleanLine(this.#partial.slice(0, MAX_LINE_CHARS)));
			this.#partial = this.#partial.slice(MAX_LINE_CHARS);
		}
		return { lines, partial: this.#partial ? openLine(this.#partial) : '' };
	}
}
