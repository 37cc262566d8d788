// Recording a macro: the keystrokes a user typed into a console (from its access log) back into the lines
// they entered, applying the editing keys a shell's line editor applies. History recall and cursor movement
// cannot be replayed from keystrokes alone: escape sequences are dropped and the user edits the result.

export interface TypedLines {
	/** Lines ended with Enter. */
	lines: string[];
	/** Typed after the last Enter (not sent yet); empty when none. */
	partial: string;
}

/** CSI and SS3 sequences (arrow keys, function keys, bracketed-paste markers) and Alt+key. */
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/y;

export function keystrokesToLines(text: string, maxLines = 500): TypedLines {
	const lines: string[] = [];
	let line = '';
	for (let i = 0; i < text.length && lines.length < maxLines; i++) {
		const c = text[i];
		if (c === '\x1b') {
			ESCAPE.lastIndex = i;
			const m = ESCAPE.exec(text);
			if (m) i += m[0].length - 1;
		} else if (c === '\r' || c === '\n') {
			if (c === '\r' && text[i + 1] === '\n') i++;
			lines.push(line);
			line = '';
		} else if (c === '\x7f' || c === '\b') line = [...line].slice(0, -1).join('');
		else if (c === '\x15')
			line = ''; // Ctrl-U
		else if (c === '\x17')
			line = line.replace(/\S+\s*$/, ''); // Ctrl-W
		else if (c === '\x03')
			line = ''; // Ctrl-C abandons the line
		else if (c === '\t' || c >= ' ') line += c;
	}
	return { lines, partial: line };
}
