// CSV (RFC 4180) reading and writing for CMDB import and export. Our own code: the format is small, and
// the errors have to name the line in the operator's file, which is what this parser keeps track of.
//
// Reading accepts what spreadsheets write: a UTF-8 byte-order mark, CRLF or LF (or old-Mac CR) line ends,
// `,` `;` or tab as the delimiter (whichever the header line uses most), quoted values with delimiters,
// doubled quotes and line breaks, and blank lines (skipped). Input that is not UTF-8 is refused with a
// message that says to save the file as UTF-8, rather than guessed at: a wrong guess would import
// mojibake into the CMDB without anyone noticing. Writing always uses `,` and CRLF and quotes a value
// only when it contains a comma, a quote, CR or LF.
import { UserError } from '../errors';

export const CSV_MAX_BYTES = 10 * 1024 * 1024;
export const CSV_MAX_ROWS = 50_000;

export type Delimiter = ',' | ';' | '\t';

export interface CsvRow {
	/** The line of the file on which this row starts (1-based), as an editor shows it. */
	line: number;
	fields: string[];
}

export interface ParsedCsv {
	delimiter: Delimiter;
	header: string[];
	rows: CsvRow[];
}

/** A file that can't be read as CSV; the message names the line. */
export class CsvError extends UserError {}

const NOT_UTF8 =
	'The file is not UTF-8: save it as UTF-8 (in Excel: "CSV UTF-8 (comma delimited)") and import it again.';

function lineAt(text: string, index: number): number {
	let line = 1;
	for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
	return line;
}

/** Bytes of a file to text: UTF-8 only (a BOM is dropped); anything else is refused, naming the line. */
export function decodeCsv(bytes: Uint8Array): string {
	if (bytes.byteLength > CSV_MAX_BYTES) throw tooLarge(bytes.byteLength);
	try {
		return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	} catch {
		const lossy = new TextDecoder('utf-8').decode(bytes);
		throw new CsvError(`${NOT_UTF8} (Line ${lineAt(lossy, lossy.indexOf('\uFFFD'))} is not valid UTF-8.)`);
	}
}

function tooLarge(bytes: number): CsvError {
	return new CsvError(
		`The file is ${(bytes / 2 ** 20).toFixed(1)} MB; at most ${CSV_MAX_BYTES / 2 ** 20} MB can be imported at once. Split it into smaller files.`
	);
}

/**
 * Text that reached us as a string (the browser read the file). A browser decodes bytes that are not
 * UTF-8 to U+FFFD, so that character is how a Windows-1252 file shows up here.
 */
function checkText(text: string): void {
	if (text.length > CSV_MAX_BYTES || Buffer.byteLength(text, 'utf8') > CSV_MAX_BYTES)
		throw tooLarge(Buffer.byteLength(text, 'utf8'));
	const bad = text.indexOf('\uFFFD');
	if (bad >= 0) throw new CsvError(`${NOT_UTF8} (Line ${lineAt(text, bad)} is not valid UTF-8.)`);
}

/** The delimiter the header line uses most (outside quotes); `,` when it has none (one column). */
export function detectDelimiter(text: string): Delimiter {
	const counts = { ',': 0, ';': 0, '\t': 0 };
	let inQuotes = false;
	let seen = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (ch === '"') inQuotes = !inQuotes;
		else if (!inQuotes && (ch === '\n' || ch === '\r')) {
			if (seen) break; // the first non-blank line is the header
		} else if (!inQuotes && (ch === ',' || ch === ';' || ch === '\t')) {
			counts[ch]++;
			seen = true;
		} else if (ch !== ' ') seen = true;
	}
	const best = (Object.entries(counts) as [Delimiter, number][]).sort((a, b) => b[1] - a[1])[0];
	return best[1] > 0 ? best[0] : ',';
}

function countLineBreaks(s: string): number {
	let n = 0;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c === 10) n++;
		else if (c === 13 && s.charCodeAt(i + 1) !== 10) n++;
	}
	return n;
}

/** Splits text into records, each with the line it starts on. Structural errors stop here. */
function records(text: string, delimiter: Delimiter, maxRecords: number): CsvRow[] {
	const out: CsvRow[] = [];
	const n = text.length;
	const d = delimiter.charCodeAt(0);
	let i = 0;
	let line = 1;
	while (i < n) {
		const start = line;
		const fields: string[] = [];
		for (;;) {
			if (text.charCodeAt(i) === 34) {
				// "quoted value": runs to the next quote that is not doubled, across line breaks
				const opened = line;
				let value = '';
				i++;
				for (;;) {
					const q = text.indexOf('"', i);
					if (q < 0)
						throw new CsvError(
							`Line ${opened}: a quoted value starts here but its closing quote (") is missing.`
						);
					const part = text.slice(i, q);
					value += part;
					line += countLineBreaks(part);
					if (text.charCodeAt(q + 1) === 34) {
						value += '"';
						i = q + 2;
					} else {
						i = q + 1;
						break;
					}
				}
				fields.push(value.includes('\r') ? value.replace(/\r\n?/g, '\n') : value);
				const c = text.charCodeAt(i);
				if (i >= n) break;
				if (c === d) {
					i++;
					continue;
				}
				if (c === 10 || c === 13) {
					i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
					line++;
					break;
				}
				throw new CsvError(
					`Line ${line}: there is text after the closing quote of a value. Inside quotes, write a quote twice ("like ""this""").`
				);
			}
			let j = i;
			for (; j < n; j++) {
				const c = text.charCodeAt(j);
				if (c === d || c === 10 || c === 13) break;
			}
			fields.push(text.slice(i, j));
			i = j;
			if (i >= n) break;
			const c = text.charCodeAt(i);
			if (c === d) {
				i++;
				if (i >= n) fields.push('');
				continue;
			}
			i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
			line++;
			break;
		}
		// Blank lines, and rows of nothing but delimiters, carry no data: skip them.
		if (!fields.every((f) => f.trim() === '')) out.push({ line: start, fields });
		if (out.length > maxRecords)
			throw new CsvError(
				`The file has more than ${(maxRecords - 1).toLocaleString('en')} rows; split it into smaller files.`
			);
	}
	return out;
}

/**
 * Parses a CSV file's text: header plus rows, blank rows skipped. Throws CsvError naming the line for
 * what would make the import guess: a missing closing quote, rows with more or fewer values than the
 * header, header names that are empty or repeated, a file over the size or row limits.
 */
export function parseCsv(input: string): ParsedCsv {
	const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
	checkText(text);
	const delimiter = detectDelimiter(text);
	const all = records(text, delimiter, CSV_MAX_ROWS + 1);
	if (!all.length) throw new CsvError('The file is empty: it needs a header line naming the columns.');
	const [head, ...rows] = all;
	const header = head.fields.map((h) => h.trim());

	const wrong: string[] = [];
	for (const r of rows) {
		if (r.fields.length === header.length) continue;
		if (wrong.length < 10)
			wrong.push(`line ${r.line} has ${r.fields.length} values but the header has ${header.length} columns`);
		else if (wrong.length === 10) wrong.push('…');
	}
	if (wrong.length)
		throw new CsvError(
			`${wrong.join('; ')}. Check for a delimiter (${delimiter === '\t' ? 'tab' : delimiter}) inside a value that is not in quotes.`.replace(
				/^l/,
				'L'
			)
		);

	// Spreadsheets add columns with no name and no values after the last real one: drop those.
	const keep: number[] = [];
	const seen = new Map<string, number>();
	for (let i = 0; i < header.length; i++) {
		if (header[i] === '') {
			if (rows.every((r) => r.fields[i].trim() === '')) continue;
			throw new CsvError(
				`Column ${i + 1} has values but no name in the header (line ${head.line}); name it or delete the column.`
			);
		}
		const prev = seen.get(header[i].toLowerCase());
		if (prev !== undefined)
			throw new CsvError(
				`The header (line ${head.line}) names "${header[i]}" twice (columns ${prev + 1} and ${i + 1}); rename or delete one of them.`
			);
		seen.set(header[i].toLowerCase(), i);
		keep.push(i);
	}
	if (keep.length === header.length) return { delimiter, header, rows };
	return {
		delimiter,
		header: keep.map((i) => header[i]),
		rows: rows.map((r) => ({ line: r.line, fields: keep.map((i) => r.fields[i]) }))
	};
}

/** One value, quoted only when RFC 4180 needs it (comma, quote, CR or LF), quotes doubled. */
export function csvField(value: string): string {
	return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record: comma-separated, ending in CRLF. (map/join: much faster than `+=` for wide rows.) */
export function csvRecord(fields: readonly string[]): string {
	return fields.map(csvField).join(',') + '\r\n';
}
