// What an uploaded file is, decided from its bytes (magic numbers, zip directories, UTF-8 text), and the
// name to offer it under: never a path, never trusted from the browser.
const MAX_FILENAME = 180;

export interface Kind {
	type: string;
	/** Extensions a file of this type may have; the first is added when the name has none of them. */
	ext: string[];
}

const KINDS = {
	pdf: { type: 'application/pdf', ext: ['pdf'] },
	png: { type: 'image/png', ext: ['png'] },
	jpeg: { type: 'image/jpeg', ext: ['jpg', 'jpeg', 'jpe'] },
	gif: { type: 'image/gif', ext: ['gif'] },
	webp: { type: 'image/webp', ext: ['webp'] },
	svg: { type: 'image/svg+xml', ext: ['svg'] },
	docx: { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: ['docx'] },
	xlsx: { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: ['xlsx'] },
	pptx: { type: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', ext: ['pptx'] },
	odt: { type: 'application/vnd.oasis.opendocument.text', ext: ['odt'] },
	ods: { type: 'application/vnd.oasis.opendocument.spreadsheet', ext: ['ods'] },
	zip: { type: 'application/zip', ext: ['zip'] },
	csv: { type: 'text/csv', ext: ['csv'] },
	markdown: { type: 'text/markdown', ext: ['md', 'markdown'] },
	text: { type: 'text/plain', ext: ['txt'] }
} satisfies Record<string, Kind>;

export const ACCEPTED_TYPES =
	'PDF, PNG, JPEG, GIF, WebP, SVG, plain text, CSV, Markdown, Word/Excel/PowerPoint (docx, xlsx, pptx), OpenDocument text/spreadsheet (odt, ods) and zip';

/** Text files whose names say a browser or script host would run them: not accepted even as text. */
const ACTIVE_TEXT = /\.(html?|xhtml?|xht|shtml|mht(ml)?|js|mjs|cjs|xml|xsl|xslt|hta|svgz)$/i;

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x);

/** File names inside a zip, from its central directory (names are not compressed there). */
function zipEntries(b: Uint8Array): { names: string[]; mimetype: string | null } | null {
	const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
	const min = Math.max(0, b.length - 65_557);
	let eocd = -1;
	for (let i = b.length - 22; i >= min; i--)
		if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 5 && b[i + 3] === 6) {
			eocd = i;
			break;
		}
	if (eocd < 0) return null;
	const count = view.getUint16(eocd + 10, true);
	let p = view.getUint32(eocd + 16, true);
	const names: string[] = [];
	const dec = new TextDecoder();
	for (let n = 0; n < count && p + 46 <= b.length; n++) {
		if (view.getUint32(p, true) !== 0x02014b50) return null;
		const nameLen = view.getUint16(p + 28, true);
		const extra = view.getUint16(p + 30, true);
		const comment = view.getUint16(p + 32, true);
		names.push(dec.decode(b.subarray(p + 46, p + 46 + nameLen)));
		p += 46 + nameLen + extra + comment;
	}
	// OpenDocument: the first entry is "mimetype", stored uncompressed, right after its local header.
	let mimetype: string | null = null;
	if (startsWith(b, [0x50, 0x4b, 3, 4]) && view.getUint16(8, true) === 0) {
		const nameLen = view.getUint16(26, true);
		const extra = view.getUint16(28, true);
		const size = view.getUint32(18, true);
		if (dec.decode(b.subarray(30, 30 + nameLen)) === 'mimetype' && size < 200)
			mimetype = dec.decode(b.subarray(30 + nameLen + extra, 30 + nameLen + extra + size));
	}
	return { names, mimetype };
}

function isText(b: Uint8Array): string | null {
	let s: string;
	try {
		s = new TextDecoder('utf-8', { fatal: true }).decode(b);
	} catch {
		return null;
	}
	// Control characters other than tab, line breaks and form feed mean a binary file.
	// eslint-disable-next-line no-control-regex -- finding control characters is the point
	return /[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]/.test(s) ? null : s;
}

/** What the bytes are, or null when they are nothing we accept. The browser's claimed type plays no part. */
export function sniffType(b: Uint8Array, filename: string): Kind | null {
	if (startsWith(b, [0x25, 0x50, 0x44, 0x46, 0x2d])) return KINDS.pdf; // %PDF-
	if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return KINDS.png;
	if (startsWith(b, [0xff, 0xd8, 0xff])) return KINDS.jpeg;
	if (startsWith(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61)
		return KINDS.gif;
	if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8))
		return KINDS.webp;
	if (startsWith(b, [0x50, 0x4b, 3, 4]) || startsWith(b, [0x50, 0x4b, 5, 6])) {
		const zip = zipEntries(b);
		if (!zip) return null;
		if (zip.mimetype === KINDS.odt.type) return KINDS.odt;
		if (zip.mimetype === KINDS.ods.type) return KINDS.ods;
		if (zip.names.includes('[Content_Types].xml')) {
			if (zip.names.includes('word/document.xml')) return KINDS.docx;
			if (zip.names.includes('xl/workbook.xml')) return KINDS.xlsx;
			if (zip.names.includes('ppt/presentation.xml')) return KINDS.pptx;
		}
		return KINDS.zip;
	}
	const text = isText(b);
	if (text === null) return null;
	const head = text.slice(0, 4096).replace(/^\uFEFF/, '');
	// SVG: an XML document whose root is <svg>. Stored as SVG, and like everything else only ever served
	// as an attachment, never rendered by our origin.
	if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head))
		return KINDS.svg;
	if (ACTIVE_TEXT.test(filename) || /^\s*<(!doctype html|html|script|\?xml)/i.test(head)) return null;
	if (/\.csv$/i.test(filename)) return KINDS.csv;
	if (/\.(md|markdown)$/i.test(filename)) return KINDS.markdown;
	return KINDS.text;
}

/**
 * The file name to store: the last path part only, without control or direction-override characters,
 * at most 180 characters, and with an extension that matches the content (one is added if needed), so a
 * PNG called "x.html" is offered as "x.html.png".
 */
export function safeFilename(raw: string, kind: Kind): string {
	const name = raw
		.normalize('NFC')
		.split(/[/\\]/)
		.pop()!
		// eslint-disable-next-line no-control-regex -- removing control characters is the point
		.replace(/[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
		.replace(/["*:<>?|]/g, '_')
		.trim()
		.replace(/^[.\s]+/, '');
	const found = /\.([A-Za-z0-9]{1,10})$/.exec(name);
	const ext = found?.[1].toLowerCase();
	const keepExt =
		ext !== undefined && (kind.ext.includes(ext) || (kind === KINDS.text && !ACTIVE_TEXT.test(name)));
	// Shorten the stem, never the extension.
	const suffix = keepExt ? found![0] : `.${kind.ext[0]}`;
	const stem = (keepExt ? name.slice(0, -suffix.length) : name) || 'document';
	return stem.slice(0, MAX_FILENAME - suffix.length).trimEnd() + suffix;
}

/** `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266). */
export function contentDisposition(filename: string): string {
	const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
	const encoded = encodeURIComponent(filename).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
	);
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
