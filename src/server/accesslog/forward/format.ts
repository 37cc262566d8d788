// What a forwarded record looks like on the wire: RFC 5424 syslog messages with octet-counting framing
// (RFC 6587), or one JSON object per record in an HTTPS batch. Both carry the record's hash and the previous
// record's, so the copy can be checked against the chain on its own.
import { Buffer } from 'node:buffer';
import type { AccessLogKind } from '../../db/schema/accesslog';

export interface ForwardRecord {
	consoleId: number;
	consoleName: string;
	deviceId: number | null;
	deviceName: string | null;
	seq: number;
	at: Date;
	kind: AccessLogKind;
	userId: number | null;
	username: string | null;
	pipeId: string | null;
	agentSeq: number | null;
	data: Uint8Array;
	hash: Uint8Array;
	prevHash: Uint8Array;
}

/** The structured-data id: 32473 is the private enterprise number reserved for examples (RFC 5612). */
export const SD_ID = 'fleetdesk@32473';
const SEVERITY: Record<AccessLogKind, number> = { output: 6, input: 5, event: 5 };
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const strict = new TextDecoder('utf-8', { fatal: true });

/** PRINTUSASCII without spaces, at most `max` characters; "-" when empty (RFC 5424 NILVALUE). */
function token(s: string | null, max: number): string {
	const t = (s ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
	return t || '-';
}

/** A PARAM-VALUE: '"', '\' and ']' escaped (RFC 5424 section 6.3.3). */
function param(v: string): string {
	return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

function isUtf8(b: Uint8Array): boolean {
	try {
		strict.decode(b);
		return true;
	} catch {
		return false;
	}
}

/**
 * One record as framed syslog messages: more than one when its data is longer than `maxMessageBytes` (each
 * part says part="i/n"). The data goes as UTF-8 after a BOM, or as base64 (enc="base64") when it is not text.
 */
export function syslogFrames(
	r: ForwardRecord,
	opts: { facility: number; maxMessageBytes: number }
): Buffer[] {
	const pri = opts.facility * 8 + SEVERITY[r.kind];
	const headerFor = (sd: string) =>
		`<${pri}>1 ${r.at.toISOString()} ${token(r.deviceName, 255)} fleetdesk ${token(r.consoleName, 128)} ${r.kind} ${sd} `;
	const params: [string, string | number | null][] = [
		['console', r.consoleName],
		['consoleId', r.consoleId],
		['device', r.deviceName],
		['deviceId', r.deviceId],
		['seq', r.seq],
		['user', r.username],
		['userId', r.userId],
		['pipe', r.pipeId],
		['agentSeq', r.agentSeq],
		['hash', Buffer.from(r.hash).toString('hex')],
		['prev', Buffer.from(r.prevHash).toString('hex')]
	];
	const base = params
		.filter(([, v]) => v !== null)
		.map(([k, v]) => `${k}="${param(String(v))}"`)
		.join(' ');
	// Room for the header: the data is cut to what fits (base64 takes 4/3).
	const room = Math.max(256, opts.maxMessageBytes - Buffer.byteLength(headerFor(`[${SD_ID} ${base}]`)) - 64);
	const data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
	const partBytes = isUtf8(data) && data.length <= room ? room : Math.floor((room * 3) / 4);
	const parts: Buffer[] = [];
	for (let i = 0; i < data.length || i === 0; i += partBytes) parts.push(data.subarray(i, i + partBytes));
	return parts.map((part, i) => {
		const text = isUtf8(part);
		const extra = [
			text ? '' : ' enc="base64"',
			parts.length > 1 ? ` part="${i + 1}/${parts.length}"` : ''
		].join('');
		const msg = Buffer.concat([
			Buffer.from(headerFor(`[${SD_ID} ${base}${extra}]`)),
			text ? Buffer.concat([BOM, part]) : Buffer.from(part.toString('base64'))
		]);
		return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
	});
}

/** The message "Test connection" sends: no record, msgid "test", so a receiver can tell it apart. */
export function syslogTestFrame(forwarder: string, opts: { facility: number }): Buffer {
	const pri = opts.facility * 8 + 5;
	const text = `Fleetdesk test message from forwarder "${forwarder}"`;
	const msg = Buffer.concat([
		Buffer.from(
			`<${pri}>1 ${new Date().toISOString()} - fleetdesk - test [${SD_ID} test="1" forwarder="${param(forwarder)}"] `
		),
		BOM,
		Buffer.from(text)
	]);
	return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
}

/** One record in an HTTPS batch. */
export function jsonRecord(r: ForwardRecord) {
	return {
		consoleId: r.consoleId,
		console: r.consoleName,
		deviceId: r.deviceId,
		device: r.deviceName,
		seq: r.seq,
		at: r.at.toISOString(),
		kind: r.kind,
		userId: r.userId,
		username: r.username,
		pipeId: r.pipeId,
		agentSeq: r.agentSeq,
		data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'),
		hash: Buffer.from(r.hash).toString('hex'),
		prevHash: Buffer.from(r.prevHash).toString('hex')
	};
}
