// A small, strict XML reader for OCS requests. saxes is a non-validating parser that knows only the five
// predefined entities and character references; a DOCTYPE is refused outright, so no entity can be declared,
// expanded or fetched (no billion laughs, no XXE). Depth, element count and text size are bounded.
import { SaxesParser } from 'saxes';
import { OcsRefused } from './errors';

export interface XmlElement {
	name: string;
	text: string;
	children: XmlElement[];
}

export const XML_LIMITS = {
	/** REQUEST > CONTENT > SECTION > FIELD is 4; a little room for nested vendor sections. */
	depth: 8,
	elements: 2_000_000,
	/** One element's text (an EDID or a long package description is a few KB). */
	textChars: 1024 * 1024
} as const;

/** Parsed in slices so a large report does not hold the event loop for its whole length. */
const SLICE = 512 * 1024;

function refuse(message: string, reason = 'bad xml'): OcsRefused {
	return new OcsRefused(400, message, reason);
}

/** The encoding named in the XML declaration; OCS agents send UTF-8, old Windows agents sometimes Latin-1. */
function decode(bytes: Uint8Array): string {
	const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
	const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']/i.exec(head)?.[1]?.toLowerCase();
	const latin = declared && /^(iso-8859-1|iso8859-1|latin-?1|windows-1252|cp1252)$/.test(declared);
	// Invalid UTF-8 becomes U+FFFD instead of refusing the whole report over one package's description.
	const text = new TextDecoder(latin ? 'windows-1252' : 'utf-8').decode(bytes);
	// Control characters are not allowed in XML 1.0, yet agents copy them from device strings: drop them.
	// eslint-disable-next-line no-control-regex
	return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

/** Parses an XML document into elements (attributes are ignored: OCS does not use them). */
export async function parseXml(bytes: Uint8Array): Promise<XmlElement> {
	const text = decode(bytes);
	const parser = new SaxesParser({ position: true });
	const stack: XmlElement[] = [];
	let root: XmlElement | null = null;
	let count = 0;
	let failure: OcsRefused | null = null;

	const fail = (e: OcsRefused) => {
		failure ??= e;
	};
	const append = (s: string) => {
		const top = stack[stack.length - 1];
		if (!top) return;
		if (top.text.length + s.length > XML_LIMITS.textChars)
			return fail(
				refuse(
					`The XML element <${top.name}> holds more than 1 MB of text; it was refused.`,
					'text too large'
				)
			);
		top.text += s;
	};

	parser.on('doctype', () =>
		fail(
			refuse(
				'The XML has a DOCTYPE declaration; OCS requests never do, and entity declarations are refused.',
				'doctype'
			)
		)
	);
	parser.on('opentag', (tag) => {
		if (++count > XML_LIMITS.elements)
			return fail(
				refuse(`The XML has more than ${XML_LIMITS.elements} elements; it was refused.`, 'too many elements')
			);
		if (stack.length >= XML_LIMITS.depth)
			return fail(
				refuse(`The XML is nested deeper than ${XML_LIMITS.depth} levels; OCS requests are not.`, 'too deep')
			);
		const el: XmlElement = { name: tag.name, text: '', children: [] };
		const parent = stack[stack.length - 1];
		if (parent) parent.children.push(el);
		else root = el;
		stack.push(el);
	});
	parser.on('closetag', () => {
		stack.pop();
	});
	parser.on('text', append);
	parser.on('cdata', append);
	parser.on('error', (e) => fail(refuse(`The request is not well-formed XML: ${e.message}`)));

	try {
		for (let i = 0; i < text.length && !failure; i += SLICE) {
			parser.write(text.slice(i, i + SLICE));
			if (i + SLICE < text.length) await new Promise((r) => setImmediate(r));
		}
		if (!failure) parser.close();
	} catch (e) {
		fail(e instanceof OcsRefused ? e : refuse(`The request is not well-formed XML: ${(e as Error).message}`));
	}
	if (failure) throw failure;
	if (!root) throw refuse('The request body holds no XML element.');
	return root;
}

/** The first child element with this name, or undefined. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
	return el.children.find((c) => c.name === name);
}

/** Every child element with this name. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
	return el.children.filter((c) => c.name === name);
}

/** An OCS record (a section entry such as one <SOFTWARES>): field name → trimmed text; empty fields left out. */
export type OcsRecord = Record<string, string>;

export function record(el: XmlElement): OcsRecord {
	const out: OcsRecord = Object.create(null);
	for (const c of el.children) {
		const v = c.text.trim();
		if (v && !(c.name in out)) out[c.name] = v;
	}
	return out;
}
