// Gang output as lines: the merged stream (every console's output in one terminal, each line prefixed with
// its device) and the tiles (each console's latest lines). Output is line-buffered per console so a prefix
// never lands in the middle of another console's line. Colour (SGR) survives inside a line and is reset at its
// end; every other escape sequence (cursor moves, clears, titles) is dropped, since it would act on the
// merged terminal rather than on the console that sent it. A line still open after `idleMs` is shown as is
// (a prompt waiting for input), and what follows it comes on a new prefixed line.

/** A line longer than this is cut (output without newlines must not grow the buffer). */
export const MAX_LINE = 4096;

// SGR (kept) | other CSI | OSC to BEL/ST | DCS, SOS, PM, APC strings to ST | two-byte escapes | C0 controls but
// tab, BS, LF, CR | C1 controls. Groups: 1 = SGR.
const TOKENS =
	// eslint-disable-next-line no-control-regex
	/(\x1b\[[0-9;:]*m)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]|[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\x80-\x9f]/g;
// An escape sequence cut off at the end of the text so far (its rest comes with the next chunk).
// eslint-disable-next-line no-control-regex
const UNFINISHED = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|\x1b?)?$/;

/** One line's text with SGR kept and everything else interpreted or dropped (CR, BS applied). */
export function cleanLine(raw: string, keepColour: boolean): string {
	const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
	// Cells: visible characters and zero-width colour changes, in order.
	let cells: string[] = [];
	let colour = false;
	let last = 0;
	const text = (s: string) => {
		for (const ch of s) {
			if (ch === '\r') cells = keepColour ? cells.filter((c) => c.startsWith('\x1b')) : [];
			else if (ch === '\b') {
				const i = cells.findLastIndex((c) => !c.startsWith('\x1b'));
				if (i >= 0) cells.splice(i, 1);
			} else cells.push(ch);
		}
	};
	for (const m of line.matchAll(TOKENS)) {
		text(line.slice(last, m.index));
		last = m.index + m[0].length;
		if (m[1] && keepColour) {
			cells.push(m[1]);
			colour = true;
		}
	}
	text(line.slice(last));
	return cells.join('') + (colour ? '\x1b[0m' : '');
}

interface Stream {
	decoder: TextDecoder;
	partial: string;
	/** When the open line last grew. */
	at: number;
}

function streamOf(map: Map<number, Stream>, id: number, now: number): Stream {
	let s = map.get(id);
	if (!s) map.set(id, (s = { decoder: new TextDecoder('utf-8'), partial: '', at: now }));
	return s;
}

/** Splits a chunk into finished raw lines; the rest stays open in the stream. */
function split(s: Stream, data: Uint8Array, now: number): string[] {
	const text = s.partial + s.decoder.decode(data, { stream: true });
	const parts = text.split('\n');
	s.partial = parts.pop() ?? '';
	while (s.partial.length > MAX_LINE) {
		parts.push(s.partial.slice(0, MAX_LINE));
		s.partial = s.partial.slice(MAX_LINE);
	}
	if (data.length) s.at = now;
	return parts;
}

const PALETTE = ['36', '33', '35', '32', '34', '91', '96', '93', '95', '92'];

/** The merged stream: feed it each console's output, write what it returns to one terminal. */
export class LinePrefixer {
	#streams = new Map<number, Stream>();
	#labels = new Map<number, string>();
	#width = 8;

	constructor(readonly idleMs = 1500) {}

	/** The name shown before each line of a console (device, or device:console when a device has several). */
	label(consoleId: number, label: string): void {
		this.#labels.set(consoleId, label);
		this.#width = Math.min(24, Math.max(this.#width, label.length));
	}

	#prefix(id: number): string {
		const label = (this.#labels.get(id) ?? String(id)).slice(0, 24).padEnd(this.#width);
		return `\x1b[${PALETTE[id % PALETTE.length]}m${label}\x1b[0m \x1b[2m│\x1b[0m `;
	}

	/** Terminal text for the lines this chunk finished ("\r\n" after each). */
	push(consoleId: number, data: Uint8Array, now = Date.now()): string {
		const lines = split(streamOf(this.#streams, consoleId, now), data, now);
		return lines.map((l) => this.#prefix(consoleId) + cleanLine(l, true) + '\r\n').join('');
	}

	/** Lines left open longer than `idleMs` (a prompt), shown now; their continuation starts a new line. */
	flushIdle(now = Date.now()): string {
		let out = '';
		for (const [id, s] of this.#streams) {
			if (!s.partial || now - s.at < this.idleMs || UNFINISHED.test(s.partial)) continue;
			out += this.#prefix(id) + cleanLine(s.partial, true) + '\r\n';
			s.partial = '';
		}
		return out;
	}

	forget(consoleId: number): void {
		this.#streams.delete(consoleId);
	}
}

/** A tile's text: the last `max` lines of one console, colour removed, and the line still open. */
export class TailLines {
	lines: string[] = [];
	#stream: Stream = { decoder: new TextDecoder('utf-8'), partial: '', at: 0 };

	constructor(readonly max = 40) {}

	push(data: Uint8Array): void {
		for (const l of split(this.#stream, data, 0)) this.lines.push(cleanLine(l, false));
		if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
	}

	get open(): string {
		const p = this.#stream.partial;
		return p && !UNFINISHED.test(p) ? cleanLine(p, false) : cleanLine(p.replace(UNFINISHED, ''), false);
	}

	/** Everything shown, oldest first. */
	text(): string {
		const open = this.open;
		return (open ? [...this.lines, open] : this.lines).join('\n');
	}

	clear(): void {
		this.lines = [];
		this.#stream = { decoder: new TextDecoder('utf-8'), partial: '', at: 0 };
	}
}
