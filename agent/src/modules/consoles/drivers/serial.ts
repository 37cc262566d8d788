// `serial`: a serial port on this host (console servers, line cards), via the serialport package. Only
// ports the config allows (checked in policy.ts before the pipe starts, and again here for each reopen).
import fs from 'node:fs';
import type { SerialPort } from 'serialport';
import type { ConsoleTarget } from '../../../../../src/lib/protocol/consoles';
import { loadNative } from '../native';
import { serialPortAllowed } from '../policy';
import { DriverError, type Driver, type DriverFactory } from './types';

type SerialTarget = Extract<ConsoleTarget, { kind: 'serial' }>;

/** How long the line is held in the break condition. */
export const SERIAL_BREAK_MS = 250;

export const openSerial: DriverFactory<SerialTarget> = async ({ target, cfg, events }) => {
	if (!serialPortAllowed(target.path, cfg.serial.ports))
		throw new DriverError(`serial: ${target.path} is not in consoles.serial.ports`, true);
	let stat: fs.Stats;
	try {
		stat = fs.statSync(target.path);
	} catch {
		throw new DriverError(`serial: ${target.path} is not there (unplugged?)`);
	}
	if (!stat.isCharacterDevice()) throw new DriverError(`serial: ${target.path} is not a serial device`, true);
	const { SerialPort: Port } = await loadNative('serialport');
	const port: SerialPort = new Port({
		path: target.path,
		baudRate: target.baud,
		dataBits: target.dataBits,
		parity: target.parity,
		stopBits: target.stopBits,
		rtscts: target.flowControl === 'rtscts',
		xon: target.flowControl === 'xonxoff',
		xoff: target.flowControl === 'xonxoff',
		// Another program on the same port would steal half the bytes.
		lock: true,
		autoOpen: false
	});
	await new Promise<void>((resolve, reject) =>
		port.open((err) =>
			err ? reject(new DriverError(`serial: cannot open ${target.path}: ${firstLine(err)}`)) : resolve()
		)
	);
	let open = true;
	const end = (reason: string) => {
		if (!open) return;
		open = false;
		if (port.isOpen) port.close(() => {});
		events.end(reason);
	};
	port.on('data', (d: Buffer) => events.data(d));
	port.on('error', (err: Error) => end(`serial: ${firstLine(err)}`));
	port.on('close', (err?: Error & { disconnected?: boolean }) =>
		end(err?.disconnected ? `serial: ${target.path} was disconnected` : `serial: ${target.path} was closed`)
	);
	// With flow control, a paused port lets the kernel's buffer fill and it holds the device (RTS low or XOFF).
	// Without, the UART would overrun and drop bytes silently, so the port keeps being read: the pipe's
	// retention (and its counted loss, in the room's status line) is then the better place for a backlog.
	const holds = target.flowControl !== 'none';
	const set = (brk: boolean) =>
		new Promise<void>((resolve, reject) =>
			port.set({ brk }, (err) => (err ? reject(new Error(firstLine(err))) : resolve()))
		);
	return {
		description: `serial: ${target.path} at ${target.baud} ${target.dataBits}${target.parity[0].toUpperCase()}${target.stopBits}`,
		write: (data) => {
			if (open) port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
		},
		resize: () => {},
		sendBreak: async () => {
			if (!open) return;
			try {
				await set(true);
				await new Promise((r) => setTimeout(r, SERIAL_BREAK_MS));
			} catch (e) {
				throw new Error(`serial: ${target.path} cannot send a break (${(e as Error).message})`);
			} finally {
				if (open) await set(false).catch(() => {});
			}
		},
		pause: () => {
			if (holds && open) port.pause();
		},
		resume: () => {
			if (holds && open) port.resume();
		},
		close: () => {
			open = false;
			if (port.isOpen) port.close(() => {});
		}
	} satisfies Driver;
};

function firstLine(err: Error): string {
	return err.message.split('\n')[0];
}
