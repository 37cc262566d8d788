// `telnet`: a TCP connection with the telnet protocol handled by TelnetCodec (console servers, switches).
import net from 'node:net';
import type { ConsoleTarget } from '../../../../../src/lib/protocol/consoles';
import { TelnetCodec } from './telnet-codec';
import { DriverError, type Driver, type DriverFactory } from './types';

type TelnetTarget = Extract<ConsoleTarget, { kind: 'telnet' }>;

const CONNECT_TIMEOUT_MS = 15_000;

export const openTelnet: DriverFactory<TelnetTarget> = ({ target, cols, rows, events }) =>
	new Promise<Driver>((resolve, reject) => {
		const where = `${target.host}:${target.port}`;
		const sock = net.connect({ host: target.host, port: target.port });
		let phase: 'connecting' | 'open' | 'over' = 'connecting';
		const codec = new TelnetCodec(
			(b) => {
				if (phase === 'open') sock.write(b);
			},
			{ cols, rows }
		);
		const end = (reason: string) => {
			if (phase !== 'open') return;
			phase = 'over';
			sock.destroy();
			events.end(reason);
		};
		sock.setTimeout(CONNECT_TIMEOUT_MS, () => {
			if (phase !== 'connecting') return;
			phase = 'over';
			sock.destroy();
			reject(new DriverError(`telnet: no answer from ${where}`));
		});
		sock.on('error', (err: Error & { code?: string }) => {
			if (phase === 'open') return end(`telnet: ${err.message}`);
			if (phase !== 'connecting') return;
			phase = 'over';
			reject(new DriverError(`telnet: ${describe(err, where, target.host)}`));
		});
		sock.on('close', () => end('telnet: the connection closed'));
		sock.on('data', (chunk: Buffer) => {
			const d = codec.decode(chunk);
			if (d.length) events.data(d);
		});
		sock.on('connect', () => {
			if (phase !== 'connecting') return;
			phase = 'open';
			sock.setTimeout(0);
			sock.setNoDelay(true);
			sock.setKeepAlive(true, 30_000);
			codec.start();
			resolve({
				description: `telnet: connected to ${where}`,
				write: (data) => {
					if (phase === 'open') sock.write(codec.encode(data));
				},
				resize: (c, r) => codec.resize(c, r),
				sendBreak: () => {
					if (phase === 'open') sock.write(codec.breakSignal());
				},
				// TCP's window closes and the device waits; negotiation answers are delayed until resume.
				pause: () => sock.pause(),
				resume: () => sock.resume(),
				close: () => {
					phase = 'over';
					sock.destroy();
				}
			});
		});
	});

function describe(err: Error & { code?: string }, where: string, host: string): string {
	if (err.code === 'ECONNREFUSED') return `${where} refused the connection`;
	if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `cannot resolve ${host}`;
	if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `${host} is unreachable`;
	return err.message;
}
