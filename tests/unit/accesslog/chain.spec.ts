import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import {
	ZERO_HASH,
	canonicalRecord,
	headMac,
	recordHash,
	recordMac,
	type ChainFields
} from '../../../src/server/accesslog/chain';

const base: ChainFields = {
	consoleId: 7,
	seq: 42,
	at: new Date('2025-03-01T12:34:56.789Z'),
	kind: 'input',
	deviceId: 3,
	userId: 11,
	username: 'alice',
	pipeId: '0f0e0d0c-0b0a-4908-8706-050403020100',
	agentSeq: null,
	data: Buffer.from('ls -la\r'),
	prevHash: Buffer.alloc(32, 0xab)
};

describe('access-log canonical encoding', () => {
	it('is the documented byte layout', () => {
		const c = canonicalRecord(base);
		const expected = Buffer.concat([
			Buffer.from('fleetdesk access log v1\0'),
			Buffer.from('0000000000000007', 'hex'),
			Buffer.from('000000000000002a', 'hex'),
			Buffer.from(BigInt(base.at.getTime()).toString(16).padStart(16, '0'), 'hex'),
			Buffer.from([2]),
			Buffer.from('01' + '0000000000000003', 'hex'),
			Buffer.from('01' + '000000000000000b', 'hex'),
			Buffer.from('01' + '0000000000000005', 'hex'),
			Buffer.from('alice'),
			Buffer.from('01' + '0f0e0d0c0b0a49088706050403020100', 'hex'),
			Buffer.from([0]),
			Buffer.from('0000000000000007', 'hex'),
			Buffer.from('ls -la\r'),
			Buffer.alloc(32, 0xab)
		]);
		expect(c.toString('hex')).toBe(expected.toString('hex'));
		expect(recordHash(base).toString('hex')).toBe(crypto.createHash('sha256').update(expected).digest('hex'));
	});

	it('changes the hash when any covered field changes', () => {
		const h = recordHash(base).toString('hex');
		const variants: Partial<ChainFields>[] = [
			{ consoleId: 8 },
			{ seq: 43 },
			{ at: new Date(base.at.getTime() + 1) },
			{ kind: 'output' },
			{ deviceId: null },
			{ userId: 12 },
			{ username: 'alicf' },
			{ username: null },
			{ pipeId: null },
			{ agentSeq: 0 },
			{ data: Buffer.from('ls -la\n') },
			{ prevHash: ZERO_HASH }
		];
		const seen = new Set([h]);
		for (const v of variants) seen.add(recordHash({ ...base, ...v }).toString('hex'));
		expect(seen.size).toBe(variants.length + 1);
	});

	it('keeps a missing value apart from an empty one (no ambiguity between fields)', () => {
		expect(recordHash({ ...base, username: '' }).equals(recordHash({ ...base, username: null }))).toBe(false);
		// Moving bytes between username and data never gives the same encoding: both are length-prefixed.
		const a = recordHash({ ...base, username: 'ab', data: Buffer.from('c') });
		const b = recordHash({ ...base, username: 'a', data: Buffer.from('bc') });
		expect(a.equals(b)).toBe(false);
	});

	it('MACs records and heads with the key only', () => {
		const k1 = Buffer.alloc(32, 1);
		const k2 = Buffer.alloc(32, 2);
		const hash = recordHash(base);
		expect(recordMac(k1, hash).equals(recordMac(k2, hash))).toBe(false);
		const head = { consoleId: 7, firstSeq: 1, firstPrevHash: ZERO_HASH, lastSeq: 42, lastHash: hash };
		expect(headMac(k1, head).equals(headMac(k1, { ...head, lastSeq: 41 }))).toBe(false);
		expect(headMac(k1, head).equals(headMac(k2, head))).toBe(false);
	});
});
