// OCS agents send their XML compressed with zlib (Compress::Zlib::compress: deflate with a zlib header); an
// agent without that Perl module falls back to gzip. Inflating stops at a fixed size, so a small body that
// expands enormously (a zip bomb) costs at most that much memory before it is refused.
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { OcsRefused, MAX_OCS_XML_BYTES } from './errors';

const unzip = promisify(zlib.unzip);
const deflate = promisify(zlib.deflate);

function mb(n: number): string {
	return `${Math.round(n / 1024 / 1024)} MB`;
}

/** zlib (RFC 1950) starts with a CMF/FLG pair whose 16-bit value is a multiple of 31; gzip with 1f 8b. */
export function looksCompressed(buf: Uint8Array): boolean {
	if (buf.length < 2) return false;
	if (buf[0] === 0x1f && buf[1] === 0x8b) return true;
	return (buf[0] & 0x0f) === 8 && ((buf[0] << 8) | buf[1]) % 31 === 0;
}

/** The inflated body, at most `limit` bytes; anything else is refused with a message that says why. */
export async function inflateBody(body: Uint8Array, limit = MAX_OCS_XML_BYTES): Promise<Buffer> {
	if (body.length === 0)
		throw new OcsRefused(400, 'The request body is empty: send zlib-compressed XML.', 'empty body');
	if (!looksCompressed(body))
		throw new OcsRefused(
			400,
			body[0] === 0x3c
				? 'The XML is not compressed: OCS requests are zlib-compressed XML (Content-Type: application/x-compress).'
				: 'The request body is not zlib-compressed: OCS requests are zlib-compressed XML (Content-Type: application/x-compress).',
			'not zlib'
		);
	try {
		return await unzip(body, { maxOutputLength: limit });
	} catch (e) {
		const code = (e as { code?: string }).code;
		if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
			throw new OcsRefused(
				413,
				`The request inflates to more than ${mb(limit)} of XML; it was refused (a zip bomb, or an inventory far larger than any host's).`,
				'inflated body too large'
			);
		throw new OcsRefused(
			400,
			`The request body is not valid zlib data (${(e as Error).message}); send the XML compressed with zlib.`,
			'bad zlib data'
		);
	}
}

/** Replies go back the same way the agent reads them: Compress::Zlib::uncompress, i.e. zlib format. */
export function compress(xml: string): Promise<Buffer> {
	return deflate(Buffer.from(xml, 'utf8'));
}
