// The serial kind through a socat pty pair: the agent opens end A, the test plays the device on end B.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { serialPortAllowed } from '../../../agent/src/modules/consoles/policy';
import { startSerialPair, type SerialPair } from '../../helpers/serial';
import { fakeAgent, type FakeAgent } from './fake-ctx';

let agent: FakeAgent | null = null;
let pair: SerialPair | null = null;
afterEach(async () => {
	agent?.stop();
	agent = null;
	await pair?.stop();
	pair = null;
});

describe('serial port allowlist', () => {
	it('matches paths and globs within one path segment, never with ..', () => {
		const allow = ['/dev/ttyS*', '/dev/serial/by-id/*', '/dev/ttyUSB0'];
		expect(serialPortAllowed('/dev/ttyS0', allow)).toBe(true);
		expect(serialPortAllowed('/dev/ttyUSB0', allow)).toBe(true);
		expect(serialPortAllowed('/dev/ttyUSB1', allow)).toBe(false);
		expect(serialPortAllowed('/dev/serial/by-id/usb-FTDI_x-if00', allow)).toBe(true);
		expect(serialPortAllowed('/dev/ttyS0/../sda', allow)).toBe(false);
		expect(serialPortAllowed('/dev/serial/by-id/..', allow)).toBe(false);
		expect(serialPortAllowed('/dev/sda', allow)).toBe(false);
	});
});

describe('serial consoles', { timeout: 30_000 }, () => {
	it('carry bytes both ways at the console’s line settings, and reopen after an unplug', async () => {
		pair = await startSerialPair();
		const a = (agent = fakeAgent({ consoles: { serial: { ports: [pair.allowGlob] } } }));
		const r = await a.open({
			target: { kind: 'serial', path: pair.a, baud: 115200, dataBits: 7, parity: 'even', stopBits: 2 },
			reconnect: { enabled: true, baseMs: 100, capMs: 1000 }
		});
		expect(r.state).toBe('open');
		expect(a.states(r.pipeId).at(-1)?.message).toBe(`serial: ${pair.a} at 115200 7E2`);
		const stty = execFileSync('stty', ['-F', fs.realpathSync(pair.a), '-a'], { encoding: 'utf8' });
		// Linux ptys keep cs8 and no parity whatever is asked; speed and stop bits stick.
		expect(stty).toMatch(/speed 115200 baud/);
		expect(stty).toMatch(/(^|\s)cstopb\b/);

		const dev = pair.openB();
		try {
			dev.write('login: ');
			await a.waitForText(r.pipeId, 'login: ');
			a.server('pipe:input', { pipeId: r.pipeId, data: Buffer.from('admin\r') });
			await dev.waitFor('admin\r');
			// A pty cannot hold a break condition: the room hears why instead.
			a.server('pipe:break', { pipeId: r.pipeId });
			await a.waitFor(
				() => /cannot send a break/.test(a.states(r.pipeId).at(-1)?.message ?? ''),
				'the break to be reported'
			);
			expect(a.states(r.pipeId).at(-1)?.state).toBe('open');
		} finally {
			dev.close();
		}

		await pair.unplug();
		await a.waitFor(() => a.states(r.pipeId).some((s) => s.state === 'retrying'), 'retrying');
		expect(a.states(r.pipeId).find((s) => s.state === 'retrying')?.message).toMatch(
			new RegExp(`^serial: ${pair.a} was disconnected; retrying in`)
		);
		await a.waitFor(
			() => /is not there \(unplugged\?\); retrying/.test(a.states(r.pipeId).at(-1)?.message ?? ''),
			'the port to be missing'
		);
		await pair.plugIn();
		await a.waitFor(() => a.states(r.pipeId).at(-1)?.state === 'open', 'reopen after plugging in');
		const dev2 = pair.openB();
		try {
			dev2.write('boot messages\r\n');
			await a.waitForText(r.pipeId, 'login: boot messages');
		} finally {
			dev2.close();
		}
		const seqs = a.output(r.pipeId).map((m) => m.seq);
		expect(seqs).toEqual(seqs.map((_, i) => i + 1));
	});

	it('refuses ports the config does not list', async () => {
		const a = (agent = fakeAgent());
		await expect(a.open({ target: { kind: 'serial', path: '/dev/shm/x' } })).rejects.toThrow(
			'The serial port /dev/shm/x is not allowed on this agent: add it to consoles.serial.ports in its config.'
		);
	});
});
