// What a pipe needs from the thing it connects to (a PTY, an SSH session, a telnet socket, a serial port).
import type { ConsoleTarget } from '../../../../../src/lib/protocol/consoles';
import type { SecretPlaintext } from '../../../../../src/lib/protocol/sealed-secret';
import type { ConsolesConfig } from '../policy';

export interface DriverEvents {
	/** Bytes from the target, as read. */
	data(chunk: Buffer): void;
	/** The target went away (exited, closed, unplugged); one line for the room, e.g. "the shell exited (code 0)". */
	end(reason: string): void;
}

export interface DriverOptions<T extends ConsoleTarget = ConsoleTarget> {
	target: T;
	cols: number;
	rows: number;
	/** ssh: the opened credential. */
	secret?: SecretPlaintext;
	cfg: ConsolesConfig;
	events: DriverEvents;
}

/** A connected target. `end` is called at most once, and never after close(). */
export interface Driver {
	write(data: Uint8Array): void;
	resize(cols: number, rows: number): void;
	/** Serial: a line break; ssh: the "break" channel request; telnet: IAC BRK; shell: nothing. */
	sendBreak(): void | Promise<void>;
	/**
	 * Stop reading from the target until resume(), so what it sends waits where it came from (the PTY blocks the
	 * program, ssh stops widening its window, TCP and hardware flow control hold the sender). Idempotent.
	 */
	pause(): void;
	resume(): void;
	close(): void;
	/** One line for the room once open, e.g. "ssh: connected to admin@db1:22". */
	readonly description: string;
	/** ssh: the host key fingerprint seen (base64 SHA-256, as ssh-keygen prints it without "SHA256:"). */
	readonly hostKeySha256?: string;
}

/** Opens a target; rejects with a DriverError. */
export type DriverFactory<T extends ConsoleTarget = ConsoleTarget> = (o: DriverOptions<T>) => Promise<Driver>;

/**
 * Why a target could not be opened, as one line. `permanent`: trying again will not help (wrong password,
 * host key mismatch, port not allowed), so the pipe fails instead of retrying.
 */
export class DriverError extends Error {
	constructor(
		message: string,
		readonly permanent = false
	) {
		super(message);
	}
}
