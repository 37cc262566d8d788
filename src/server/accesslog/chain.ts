// The hash chain's canonical encoding, kept byte-exact forever: a record's hash is checked years later by
// this code and by anyone holding a forwarded copy (docs/access-logs.md gives the layout).
import crypto from 'node:crypto';
import type { AccessLogKind } from '../db/schema/accesslog';

export const HASH_BYTES = 32;
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

const KIND_CODE: Record<AccessLogKind, number> = { output: 1, input: 2, event: 3 };
const DOMAIN = Buffer.from('fleetdesk access log v1\0');
const HEAD_DOMAIN = Buffer.from('fleetdesk access log head v1\0');
const CHECKPOINT_DOMAIN = Buffer.from('fleetdesk access log checkpoint v1\0');

/** The fields the hash covers: everything stored except the hash and MAC themselves. */
export interface ChainFields {
	consoleId: number;
	seq: number;
	at: Date;
	kind: AccessLogKind;
	deviceId: number | null;
	userId: number | null;
	username: string | null;
	pipeId: string | null;
	agentSeq: number | null;
	data: Uint8Array;
	prevHash: Uint8Array;
}

function u64(n: number): Buffer {
	const b = Buffer.alloc(8);
	b.writeBigUInt64BE(BigInt(n));
	return b;
}

function i64(n: number): Buffer {
	const b = Buffer.alloc(8);
	b.writeBigInt64BE(BigInt(n));
	return b;
}

/** Optional values: one presence byte, then the value. */
function opt(v: Buffer | null): Buffer {
	return v === null ? Buffer.from([0]) : Buffer.concat([Buffer.from([1]), v]);
}

function str(s: string): Buffer {
	const b = Buffer.from(s, 'utf8');
	return Buffer.concat([u64(b.length), b]);
}

/** Everything but the data, in canonical form; the data follows as u64 length + bytes, then prev_hash. */
export function canonicalHeader(r: ChainFields): Buffer {
	if (!Number.isFinite(r.at.getTime())) throw new Error('An access-log record needs a valid time.');
	return Buffer.concat([
		DOMAIN,
		u64(r.consoleId),
		u64(r.seq),
		i64(r.at.getTime()),
		Buffer.from([KIND_CODE[r.kind]]),
		opt(r.deviceId === null ? null : u64(r.deviceId)),
		opt(r.userId === null ? null : u64(r.userId)),
		opt(r.username === null ? null : str(r.username)),
		opt(r.pipeId === null ? null : Buffer.from(r.pipeId.replace(/-/g, ''), 'hex')),
		opt(r.agentSeq === null ? null : u64(r.agentSeq)),
		u64(r.data.byteLength)
	]);
}

/** The whole canonical encoding (for tests and external verifiers; recordHash streams the same bytes). */
export function canonicalRecord(r: ChainFields): Buffer {
	return Buffer.concat([canonicalHeader(r), r.data, r.prevHash]);
}

export function recordHash(r: ChainFields): Buffer {
	return crypto.createHash('sha256').update(canonicalHeader(r)).update(r.data).update(r.prevHash).digest();
}

export function recordMac(key: Buffer, hash: Uint8Array): Buffer {
	return crypto.createHmac('sha256', key).update(hash).digest();
}

export interface HeadFields {
	consoleId: number;
	firstSeq: number;
	firstPrevHash: Uint8Array;
	lastSeq: number;
	lastHash: Uint8Array;
}

export function headMac(key: Buffer, h: HeadFields): Buffer {
	return crypto
		.createHmac('sha256', key)
		.update(HEAD_DOMAIN)
		.update(u64(h.consoleId))
		.update(u64(h.firstSeq))
		.update(h.firstPrevHash)
		.update(u64(h.lastSeq))
		.update(h.lastHash)
		.digest();
}

/** Where retention cut a chain: the last purged record, and who purged when. */
export interface CheckpointFields {
	consoleId: number;
	seq: number;
	hash: Uint8Array;
	at: Date;
	purgedAt: Date;
	purgedBy: string;
	records: number;
}

export function checkpointMac(key: Buffer, c: CheckpointFields): Buffer {
	return crypto
		.createHmac('sha256', key)
		.update(CHECKPOINT_DOMAIN)
		.update(u64(c.consoleId))
		.update(u64(c.seq))
		.update(c.hash)
		.update(i64(c.at.getTime()))
		.update(i64(c.purgedAt.getTime()))
		.update(str(c.purgedBy))
		.update(u64(c.records))
		.digest();
}

export function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
	if (!a || !b || a.byteLength !== b.byteLength) return false;
	return crypto.timingSafeEqual(a, b);
}
