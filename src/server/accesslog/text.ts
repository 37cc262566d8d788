// Output bytes as the text lines a person saw: escape sequences removed, carriage returns and backspaces
// applied the way a terminal would, split on newlines. Used for search, the line view and the text export.

// CSI, OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, charset selections and other two-byte escapes, and
// their 8-bit C1 forms.
const ESCAPES =
	// eslint-disable-next-line no-control-regex
	/\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?|[\x90\x98\x9e\x9f][^\x1b\x9c]*(?:\x1b\\|\x9c)?|\x1b[()*+\-./][ -~]|\x1b[ -/]*[0-~]|\x1b/g;
// C0 and C1 controls other than tab, LF, CR and BS (which the line editor below interprets).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]/g;
const EDITING = /[\r\b]/;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f]/;

/** A line longer than this is cut into several (a binary dump or a progress bar without newlines). */
export const MAX_LINE_CHARS = 4096;
/** Output after the last newline is held at most this long before it becomes a line of its own. */
export const MAX_PARTIAL_BYTES = 16 * 1024;

export function stripAnsi(s: string): string {
	return HAS_CONTROL.test(s) ? s.replace(ESCAPES, '').replace(CONTROLS, '') : s;
}

/** Applies CR (back to column 0, then overwrite) and BS (one column left) within one line. */
function edit(raw: string): string {
	const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
	if (!EDITING.test(line)) return line;
	const cells: string[] = [];
	let col = 0;
	for (const ch of line) {
		if (ch === '\r') col = 0;
		else if (ch === '\b') col = Math.max(0, col - 1);
		else cells[col++] = ch;
	}
	return cells.join('');
}

const decoder = new TextDecoder('utf-8');

/**
 * Plain text (no escapes or other controls, CR only before LF, no over-long line) needs no cleaning: one pass
 * over the bytes says so and counts the lines, which keeps a flood of plain output cheap to index.
 */
function plainLineCount(b: Uint8Array): number {
	let lines = 0;
	let start = 0;
	for (let i = 0; i < b.length; i++) {
		const c = b[i];
		if (c >= 0x20 && c !== 0x7f && c !== 0xc2) continue;
		if (c === 0x0a) {
			if (i - start > MAX_LINE_CHARS) return -1;
			lines++;
			start = i + 1;
		} else if (c === 0x0d) {
			if (b[i + 1] !== 0x0a) return -1;
		} else if (c === 0xc2) {
			// U+0080–U+009F: C1 controls.
			if (b[i + 1] >= 0x80 && b[i + 1] <= 0x9f) return -1;
		} else if (c !== 0x09) return -1;
	}
	return lines;
}

/** Bytes that end in complete lines (the last newline included) as cleaned text lines, joined by "\n". */
export function bytesToText(bytes: Uint8Array): { text: string; lines: number } {
	const n = plainLineCount(bytes);
	if (n > 0 && bytes[bytes.length - 1] === 0x0a) {
		let text = decoder.decode(bytes.subarray(0, bytes.length - 1));
		if (text.includes('\r')) text = text.replaceAll('\r\n', '\n').replace(/\r$/, '');
		return { text, lines: n };
	}
	const lines = bytesToLines(bytes);
	return { text: lines.join('\n'), lines: lines.length };
}

/** Bytes that end in complete lines (the last newline included) as cleaned text lines. */
export function bytesToLines(bytes: Uint8Array): string[] {
	let text = stripAnsi(decoder.decode(bytes));
	if (text.endsWith('\n')) text = text.slice(0, -1);
	const out: string[] = [];
	for (const raw of text.split('\n')) {
		const line = edit(raw);
		if (line.length <= MAX_LINE_CHARS) out.push(line);
		else for (let i = 0; i < line.length; i += MAX_LINE_CHARS) out.push(line.slice(i, i + MAX_LINE_CHARS));
	}
	return out;
}

function concat(a: Uint8Array | null, b: Uint8Array): Uint8Array {
	if (!a || a.byteLength === 0) return b;
	const out = new Uint8Array(a.byteLength + b.byteLength);
	out.set(a, 0);
	out.set(b, a.byteLength);
	return out;
}

/**
 * Splits one output chunk, given what was left of the previous one: the text of the lines it completes, and
 * the new remainder (the bytes after its last newline; an over-long remainder becomes a line).
 */
export function splitOutput(
	partial: Uint8Array | null,
	data: Uint8Array
): { text: string; lines: number; partial: Uint8Array | null } {
	const none = { text: '', lines: 0 };
	const nl = data.lastIndexOf(0x0a);
	if (nl < 0) {
		const joined = concat(partial, data);
		if (joined.byteLength <= MAX_PARTIAL_BYTES) return { ...none, partial: joined };
		return { ...bytesToText(withNewline(joined)), partial: null };
	}
	const done = bytesToText(concat(partial, data.subarray(0, nl + 1)));
	const rest = data.subarray(nl + 1);
	if (rest.byteLength <= MAX_PARTIAL_BYTES)
		return { ...done, partial: rest.byteLength ? new Uint8Array(rest) : null };
	const more = bytesToText(withNewline(rest));
	return { text: done.text + '\n' + more.text, lines: done.lines + more.lines, partial: null };
}

function withNewline(b: Uint8Array): Uint8Array {
	return concat(b, Uint8Array.of(0x0a));
}
