// Baseline of the console benchmarks, agent side: dials the relay over TLS (wss), starts the same program in a
// real PTY (node-pty, as the Fleetdesk agent does) and relays both ways with nothing else: keystrokes are
// written to the PTY; what the PTY reads in one turn of the event loop goes out as one binary message (at most
// 64 KiB, as the Fleetdesk agent's chunks), and the PTY is paused while more than 1 MiB waits on the socket.
// Prints "ready". Usage: node consoles-pty-agent.mjs AGENT_PORT SHELL_COMMAND
import pty from 'node-pty';
import WebSocket from 'ws';

const [port, command] = process.argv.slice(2);
const MAX_CHUNK = 64 * 1024;
const HIGH = 2 ** 20;
const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false });
ws.on('error', (e) => {
	console.error(e.message);
	process.exit(1);
});
ws.on('open', () => {
	const p = pty.spawn('/bin/sh', ['-c', command], {
		name: 'xterm-256color',
		cols: 80,
		rows: 24,
		cwd: '/',
		encoding: null,
		env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', HOME: '/' }
	});
	let parts = [];
	let size = 0;
	let scheduled = false;
	let paused = false;
	const flush = () => {
		scheduled = false;
		if (!size) return;
		const data = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
		parts = [];
		size = 0;
		ws.send(data, { binary: true });
		if (ws.bufferedAmount > HIGH && !paused) {
			paused = true;
			p.pause();
			const poll = setInterval(() => {
				if (ws.bufferedAmount > HIGH / 4) return;
				clearInterval(poll);
				paused = false;
				p.resume();
			}, 2);
		}
	};
	p.onData((d) => {
		const b = Buffer.isBuffer(d) ? d : Buffer.from(d);
		for (let off = 0; off < b.length;) {
			const n = Math.min(MAX_CHUNK - size, b.length - off);
			parts.push(b.subarray(off, off + n));
			size += n;
			off += n;
			if (size >= MAX_CHUNK) flush();
		}
		if (size && !scheduled) {
			scheduled = true;
			setImmediate(flush);
		}
	});
	p.onExit(() => process.exit(0));
	ws.on('message', (d) => p.write(d.toString('utf8')));
	console.log('ready');
});
process.on('SIGTERM', () => process.exit(0));
