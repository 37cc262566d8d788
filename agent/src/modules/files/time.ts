// Timestamps at the start of log lines, for "jump to a time": ISO 8601 / RFC 3339 (also with a space), syslog
// ("Jan  2 03:04:05", the year taken from the file's modification time), Apache/nginx access logs
// ("[02/Jan/2024:03:04:05 +0000]") and "2024/01/02 03:04:05". Times without a zone are the host's local time.

const MONTHS: Record<string, number> = {
	jan: 0,
	feb: 1,
	mar: 2,
	apr: 3,
	may: 4,
	jun: 5,
	jul: 6,
	aug: 7,
	sep: 8,
	oct: 9,
	nov: 10,
	dec: 11
};

const ISO = /^\[?(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?\s?(Z|[+-]\d\d:?\d\d)?/;
const SLASHED = /^\[?(\d{4})\/(\d\d)\/(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?/;
const SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)/;
const CLF = /\[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]/;

function zoned(parts: number[], ms: number, zone: string | undefined): number {
	const [y, mo, d, h, mi, s] = parts;
	if (zone === undefined) return new Date(y, mo, d, h, mi, s, ms).getTime();
	const utc = Date.UTC(y, mo, d, h, mi, s, ms);
	if (zone === 'Z') return utc;
	const m = /^([+-])(\d\d):?(\d\d)$/.exec(zone)!;
	const off = (Number(m[2]) * 60 + Number(m[3])) * 60_000;
	return m[1] === '+' ? utc - off : utc + off;
}

const frac = (f: string | undefined) => (f ? Number(f.slice(0, 3).padEnd(3, '0')) : 0);

/** The time a line starts with (epoch ms), or null. `year` fills in syslog's missing year. */
export function lineTime(line: string, year: number): number | null {
	let m = ISO.exec(line);
	if (m) return zoned([+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]], frac(m[7]), m[8]);
	m = SLASHED.exec(line);
	if (m) return zoned([+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]], frac(m[7]), undefined);
	m = SYSLOG.exec(line);
	if (m) {
		const mon = MONTHS[m[1].toLowerCase()];
		if (mon !== undefined) return zoned([year, mon, +m[2], +m[3], +m[4], +m[5]], 0, undefined);
	}
	m = CLF.exec(line.slice(0, 200));
	if (m) {
		const mon = MONTHS[m[2].toLowerCase()];
		if (mon !== undefined) return zoned([+m[3], mon, +m[1], +m[4], +m[5], +m[6]], 0, m[7]);
	}
	return null;
}
