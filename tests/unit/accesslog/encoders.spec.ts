import { describe, expect, it } from 'vitest';
import { describeEvent, describeInput } from '../../../src/server/accesslog/export';
import { syslogFrames, jsonRecord, type ForwardRecord } from '../../../src/server/accesslog/forward/format';

const rec: ForwardRecord = {
	consoleId: 3,
	consoleName: 'db1:serial',
	deviceId: 5,
	deviceName: 'db1',
	seq: 9,
	at: new Date('2025-03-01T12:00:00.250Z'),
	kind: 'input',
	userId: 2,
	username: 'al"ice]',
	pipeId: null,
	agentSeq: null,
	data: Buffer.from('reboot\r'),
	hash: Buffer.alloc(32, 1),
	prevHash: Buffer.alloc(32, 2)
};

/** Reads octet-counted frames back (RFC 6587). */
function unframe(buf: Buffer): Buffer[] {
	const out: Buffer[] = [];
	let i = 0;
	while (i < buf.length) {
		const sp = buf.indexOf(0x20, i);
		const n = Number(buf.subarray(i, sp).toString());
		out.push(buf.subarray(sp + 1, sp + 1 + n));
		i = sp + 1 + n;
	}
	return out;
}

describe('access-log encoders', () => {
	it('shows typed input readably', () => {
		expect(describeInput(Buffer.from('ls -la\r'))).toBe('ls -la⏎');
		expect(describeInput(Buffer.from('\x03\x1b[A\t\x7f'))).toBe('^C^[[A⇥^?');
	});

	it('describes room events', () => {
		expect(describeEvent('alice', Buffer.from('{"event":"join","mode":"write"}'))).toBe(
			'alice: join mode=write'
		);
		expect(describeEvent(null, Buffer.from('not json \x1b[31m'))).toBe('not json ');
	});

	it('writes RFC 5424 syslog with octet counting and escaped structured data', () => {
		const [frame] = unframe(Buffer.concat(syslogFrames(rec, { facility: 10, maxMessageBytes: 8192 })));
		const text = frame.toString('utf8');
		expect(text).toMatch(
			/^<85>1 2025-03-01T12:00:00\.250Z db1 fleetdesk db1:serial input \[fleetdesk@32473 /
		);
		expect(text).toContain('user="al\\"ice\\]"');
		expect(text).toContain(`hash="${'01'.repeat(32)}"`);
		expect(text).toContain('seq="9"');
		expect(frame.subarray(frame.length - 10).toString('utf8')).toBe('\ufeffreboot\r');
	});

	it('splits a long record into parts and sends binary data as base64', () => {
		const data = Buffer.concat([Buffer.alloc(3000, 'a'), Buffer.from([0xff, 0xfe])]);
		const frames = unframe(
			Buffer.concat(syslogFrames({ ...rec, kind: 'output', data }, { facility: 10, maxMessageBytes: 1024 }))
		);
		expect(frames.length).toBeGreaterThan(3);
		for (const f of frames) expect(f.length).toBeLessThanOrEqual(1024);
		const parts = frames.map((f) => {
			const s = f.toString('latin1');
			const body = s.slice(s.indexOf('] ') + 2);
			return s.includes('enc="base64"')
				? Buffer.from(body, 'base64')
				: Buffer.from(body.replace(/^\xef\xbb\xbf/, ''), 'latin1');
		});
		expect(Buffer.concat(parts).equals(data)).toBe(true);
		expect(frames[0].toString()).toContain(`part="1/${frames.length}"`);
	});

	it('writes one JSON object per record for HTTPS', () => {
		expect(jsonRecord(rec)).toMatchObject({
			console: 'db1:serial',
			seq: 9,
			data: Buffer.from('reboot\r').toString('base64')
		});
	});
});
