// A tiny telnet server on loopback for the telnet console tests: it negotiates like a switch or console
// server (WILL ECHO, WILL SGA, DO NAWS, DO TTYPE), echoes what is typed, and runs a few commands at a "$ "
// prompt. It records what the client negotiated (window sizes, terminal type, breaks).
import net from 'node:net';

const IAC = 255;
const [SE, BRK, SB, WILL, DO, DONT] = [240, 243, 250, 251, 253, 254];
const [ECHO, SGA, TTYPE, NAWS] = [1, 3, 24, 31];

export interface TelnetServer {
	host: '127.0.0.1';
	port: number;
	/** What the clients did, across connections. */
	seen: {
		connections: number;
		/** Every NAWS window size received, in order. */
		sizes: { cols: number; rows: number }[];
		terminalType: string | null;
		breaks: number;
		/** Command lines received. */
		lines: string[];
		/** Negotiation received, as "WILL 31", "DO 3", … */
		negotiation: string[];
	};
	/** Closes every client connection (the target "drops"); the server keeps listening. */
	dropClients(): void;
	close(): Promise<void>;
}

/**
 * Commands: `echo TEXT`, `size` (prints COLSxROWS), `ttype`, `ff` (prints a 0xFF data byte, sent as IAC IAC),
 * `exit` (closes the connection); anything else prints "unknown: LINE".
 */
export async function startTelnetServer(): Promise<TelnetServer> {
	const seen: TelnetServer['seen'] = {
		connections: 0,
		sizes: [],
		terminalType: null,
		breaks: 0,
		lines: [],
		negotiation: []
	};
	const clients = new Set<net.Socket>();
	const server = net.createServer((sock) => {
		seen.connections++;
		clients.add(sock);
		sock.on('close', () => clients.delete(sock));
		sock.on('error', () => {});
		const send = (b: number[] | string) =>
			sock.write(typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b));
		send([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS, IAC, DO, TTYPE]);
		send('Fleetdesk test telnet\r\n$ ');

		let state: 'data' | 'iac' | 'opt' | 'sb' | 'sb-iac' | 'cr' = 'data';
		let verb = 0;
		let sb: number[] = [];
		let line = '';
		const run = (cmd: string) => {
			seen.lines.push(cmd);
			const size = seen.sizes.at(-1);
			if (cmd.startsWith('echo ')) send(`${cmd.slice(5)}\r\n`);
			else if (cmd === 'size') send(`${size ? `${size.cols}x${size.rows}` : 'unknown'}\r\n`);
			else if (cmd === 'ttype') send(`${seen.terminalType ?? 'unknown'}\r\n`);
			else if (cmd === 'ff') send([0x3c, IAC, IAC, 0x3e, 13, 10]);
			else if (cmd === 'exit') {
				send('bye\r\n');
				sock.end();
				return;
			} else if (cmd) send(`unknown: ${cmd}\r\n`);
			send('$ ');
		};
		const enter = () => {
			send('\r\n');
			const cmd = line;
			line = '';
			run(cmd.trim());
		};
		sock.on('data', (chunk: Buffer) => {
			for (const b of chunk) {
				if (state === 'cr') {
					// CR NUL or CR LF: one Enter.
					state = 'data';
					if (b === 0 || b === 10) continue;
				}
				switch (state) {
					case 'data':
						if (b === IAC) state = 'iac';
						else if (b === 13) {
							enter();
							state = 'cr';
						} else if (b === 10) enter();
						else if (b === 127 || b === 8) line = line.slice(0, -1);
						else {
							line += String.fromCharCode(b);
							send([b]);
						}
						break;
					case 'iac':
						if (b === BRK) {
							seen.breaks++;
							state = 'data';
						} else if (b >= WILL && b <= DONT) {
							verb = b;
							state = 'opt';
						} else if (b === SB) {
							sb = [];
							state = 'sb';
						} else state = 'data';
						break;
					case 'opt':
						seen.negotiation.push(`${['WILL', 'WONT', 'DO', 'DONT'][verb - WILL]} ${b}`);
						if (verb === WILL && b === TTYPE) send([IAC, SB, TTYPE, 1, IAC, SE]);
						state = 'data';
						break;
					case 'sb':
						if (b === IAC) state = 'sb-iac';
						else sb.push(b);
						break;
					case 'sb-iac':
						if (b === SE) {
							if (sb[0] === NAWS && sb.length === 5)
								seen.sizes.push({ cols: (sb[1] << 8) | sb[2], rows: (sb[3] << 8) | sb[4] });
							if (sb[0] === TTYPE && sb[1] === 0)
								seen.terminalType = Buffer.from(sb.slice(2)).toString('ascii');
							state = 'data';
						} else {
							sb.push(b);
							state = 'sb';
						}
						break;
				}
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as net.AddressInfo).port;
	return {
		host: '127.0.0.1',
		port,
		seen,
		dropClients: () => {
			for (const c of clients) c.destroy();
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const c of clients) c.destroy();
				server.close(() => resolve());
			})
	};
}
