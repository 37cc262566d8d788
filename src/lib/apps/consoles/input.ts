// What the terminal sends: the paste guard's rules, the on-screen keys and the sticky Ctrl of the key row.
import { CONSOLE_MAX_INPUT_BYTES } from '$protocol/consoles';

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
	return encoder.encode(text).length;
}

export type PasteCheck =
	| { kind: 'send' }
	| { kind: 'confirm'; lines: number; preview: string[]; bytes: number }
	| { kind: 'refuse'; bytes: number; message: string };

/** How many lines the confirmation shows before "…". */
export const PREVIEW_LINES = 5;

/**
 * A one-line paste goes straight through; several lines need a confirmation (each line would run as a
 * command); anything over the server's input limit is refused here, where the message can say why.
 */
export function checkPaste(text: string): PasteCheck {
	const bytes = utf8Bytes(text);
	if (bytes > CONSOLE_MAX_INPUT_BYTES) {
		return {
			kind: 'refuse',
			bytes,
			message: `This paste is ${formatBytes(bytes)}; a console takes at most ${formatBytes(CONSOLE_MAX_INPUT_BYTES)} at once. Paste it in smaller parts or copy the file to the host.`
		};
	}
	const lines = text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
	if (lines.length < 2) return { kind: 'send' };
	return { kind: 'confirm', lines: lines.length, preview: lines.slice(0, PREVIEW_LINES), bytes };
}

export function formatBytes(n: number): string {
	if (n < 1024) return `${n} B`;
	if (n < 1024 * 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
	return `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
}

/** The keys of the on-screen row (tablets have no Esc, Tab, Ctrl or arrows on their keyboard). */
export const KEY_ROW = [
	{ id: 'esc', label: 'Esc', title: 'Escape' },
	{ id: 'tab', label: 'Tab', title: 'Tab' },
	{ id: 'up', label: '↑', title: 'Arrow up' },
	{ id: 'down', label: '↓', title: 'Arrow down' },
	{ id: 'left', label: '←', title: 'Arrow left' },
	{ id: 'right', label: '→', title: 'Arrow right' },
	{ id: 'pipe', label: '|', title: 'Vertical bar' },
	{ id: 'tilde', label: '~', title: 'Tilde' },
	{ id: 'slash', label: '/', title: 'Slash' },
	{ id: 'dash', label: '-', title: 'Dash' }
] as const;
export type KeyId = (typeof KEY_ROW)[number]['id'];

/** The bytes a key sends; arrows follow the terminal's cursor-key mode (vi and less switch it). */
export function keySequence(id: KeyId, applicationCursor: boolean): string {
	const csi = applicationCursor ? '\x1bO' : '\x1b[';
	switch (id) {
		case 'esc':
			return '\x1b';
		case 'tab':
			return '\t';
		case 'up':
			return `${csi}A`;
		case 'down':
			return `${csi}B`;
		case 'right':
			return `${csi}C`;
		case 'left':
			return `${csi}D`;
		case 'pipe':
			return '|';
		case 'tilde':
			return '~';
		case 'slash':
			return '/';
		case 'dash':
			return '-';
	}
}

/**
 * Sticky Ctrl: the next key typed is sent as its control character (Ctrl+C → 0x03). Keys with no control
 * form (digits, most punctuation) go through unchanged.
 */
export function withCtrl(data: string): string {
	if (data.length !== 1) return data;
	const c = data.toUpperCase().charCodeAt(0);
	if (c >= 0x40 && c <= 0x5f) return String.fromCharCode(c & 0x1f); // @ A–Z [ \ ] ^ _
	if (data === '?') return '\x7f';
	if (data === ' ') return '\x00';
	return data;
}
