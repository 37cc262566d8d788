import fs from 'node:fs';

export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface Logger {
	(level: Level, message: string): void;
}

/** One line per entry, to stderr or (config logFile) appended to a file readable only by the agent's user. */
export function createLogger(file?: string | null, debug = false): Logger {
	let fd: number | null = null;
	if (file) fd = fs.openSync(file, 'a', 0o600);
	return (level, message) => {
		if (level === 'debug' && !debug) return;
		const line = `${new Date().toISOString()} ${level} ${message}\n`;
		if (fd !== null) fs.writeSync(fd, line);
		else process.stderr.write(line);
	};
}
