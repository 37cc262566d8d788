// A serial line for the serial console tests: socat joins two pseudo-terminals
// (`socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`). The agent opens end A like a serial port;
// the test reads and writes end B. The links live under /dev/shm (console targets must be under /dev/), and
// keep their names when the line is unplugged and plugged in again.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';

export interface SerialEnd {
	write(data: string | Uint8Array): void;
	/** Everything read on this end so far. */
	readonly received: Buffer;
	/** Resolves when what was read contains `text` (or matches it). */
	waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
	close(): void;
}

export interface SerialPair {
	/** The path the console opens (a symlink to the current pty of end A). */
	a: string;
	/** The path of the end the test drives. */
	b: string;
	/** A glob that allows `a` in the agent's consoles.serial.ports. */
	allowGlob: string;
	/** Opens end B for the test to read and write. */
	openB(): SerialEnd;
	/** Kills socat: both ends disappear, as when a USB adapter is pulled. */
	unplug(): Promise<void>;
	/** Starts socat again with the same link names. */
	plugIn(): Promise<void>;
	stop(): Promise<void>;
}

export async function startSerialPair(): Promise<SerialPair> {
	const dir = fs.mkdtempSync('/dev/shm/fleetdesk-serial-');
	const a = path.join(dir, 'A');
	const b = path.join(dir, 'B');
	let child: ChildProcess | null = null;

	const plugIn = async () => {
		const p = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
			stdio: ['ignore', 'ignore', 'pipe']
		});
		child = p;
		let log = '';
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`socat did not start:\n${log}`)), 10_000);
			p.stderr!.on('data', (d) => {
				log += d;
				if (/starting data transfer loop/.test(log)) {
					clearTimeout(timer);
					resolve();
				}
			});
			p.once('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`socat exited (${code}):\n${log}`));
			});
		});
	};
	const unplug = () =>
		new Promise<void>((resolve) => {
			const p = child;
			child = null;
			if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
			p.once('exit', () => resolve());
			p.kill('SIGTERM');
		});

	await plugIn();
	return {
		a,
		b,
		allowGlob: `${dir}/A`,
		openB: () => openEnd(b),
		unplug,
		plugIn,
		stop: async () => {
			await unplug();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}

function openEnd(file: string): SerialEnd {
	const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
	const stream = new tty.ReadStream(fd);
	let received = Buffer.alloc(0);
	const waiters = new Set<() => void>();
	stream.on('data', (d: Buffer) => {
		received = Buffer.concat([received, d]);
		for (const w of waiters) w();
	});
	stream.on('error', () => {});
	return {
		write: (data) => {
			fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
		},
		get received() {
			return received;
		},
		waitFor: (text, timeoutMs = 5000) =>
			new Promise<void>((resolve, reject) => {
				const test = () =>
					typeof text === 'string' ? received.includes(text) : text.test(received.toString('latin1'));
				if (test()) return resolve();
				const check = () => {
					if (!test()) return;
					waiters.delete(check);
					clearTimeout(timer);
					resolve();
				};
				const timer = setTimeout(() => {
					waiters.delete(check);
					reject(
						new Error(`serial: ${String(text)} not seen; got ${JSON.stringify(received.toString('latin1'))}`)
					);
				}, timeoutMs);
				waiters.add(check);
			}),
		close: () => stream.destroy()
	};
}
