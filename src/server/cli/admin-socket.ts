import fs from 'node:fs';
import net from 'node:net';
import { adminSocketPath } from '../datadir-lock';
import { runtime } from '../runtime';
import { runCommand, type CliResult } from './commands';

export interface CliRequest {
	argv: string[];
	stdin: string;
	/** The OS user who ran the CLI, for the audit log. */
	osUser: string;
}

/**
 * A Unix socket in the data dir (mode 0600: only the account that runs Fleetdesk can use it) through which
 * the CLI runs commands inside the server, so PGlite is never opened by two processes.
 */
export async function startAdminSocket(dataDir: string): Promise<{ close(): void }> {
	const file = adminSocketPath(dataDir);
	fs.mkdirSync(dataDir, { recursive: true });
	fs.rmSync(file, { force: true });
	const server = net.createServer((conn) => {
		let buf = '';
		conn.setEncoding('utf8');
		conn.on('data', async (chunk) => {
			buf += chunk;
			if (buf.length > 1_000_000) return conn.destroy();
			const nl = buf.indexOf('\n');
			if (nl < 0) return;
			let result: CliResult;
			try {
				const req = JSON.parse(buf.slice(0, nl)) as CliRequest;
				if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string'))
					throw new Error('bad request');
				result = await runCommand(
					runtime().db,
					{ id: null, name: `cli:${String(req.osUser).slice(0, 64)}` },
					req.argv,
					String(req.stdin ?? '')
				);
			} catch (e) {
				result = {
					code: 1,
					stdout: '',
					stderr: `The server could not run this command: ${(e as Error).message}\n`
				};
			}
			conn.end(JSON.stringify(result) + '\n');
		});
		conn.on('error', () => {});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(file, () => resolve());
	});
	fs.chmodSync(file, 0o600);
	return {
		close: () => {
			server.close();
			fs.rmSync(file, { force: true });
		}
	};
}

export function sendToServer(dataDir: string, req: CliRequest, timeoutMs = 30_000): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const conn = net.createConnection(adminSocketPath(dataDir));
		let buf = '';
		const timer = setTimeout(() => conn.destroy(new Error('the server did not answer in time')), timeoutMs);
		conn.setEncoding('utf8');
		conn.on('connect', () => conn.write(JSON.stringify(req) + '\n'));
		conn.on('data', (c) => (buf += c));
		conn.on('end', () => {
			clearTimeout(timer);
			try {
				resolve(JSON.parse(buf) as CliResult);
			} catch {
				reject(new Error('the server sent an unreadable answer'));
			}
		});
		conn.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
	});
}
