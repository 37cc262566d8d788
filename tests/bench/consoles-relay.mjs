// Baseline of the console benchmarks, server side: a bare WebSocket relay (the `ws` package, no application
// protocol, no access log). Viewers connect over plain ws (as browsers reach the server); the baseline agent
// dials in over TLS (as the Fleetdesk agent does). Text from any viewer goes to the agent; each binary message
// from the agent goes to every viewer. While a viewer has more than 4 MiB queued, the agent's socket is not read.
// Prints "listening". Usage: node consoles-relay.mjs VIEWER_PORT AGENT_PORT KEY CERT
import fs from 'node:fs';
import https from 'node:https';
import { WebSocketServer } from 'ws';

const [viewerPort, agentPort, keyFile, certFile] = process.argv.slice(2);
const HIGH = 4 * 2 ** 20;
const LOW = 1 * 2 ** 20;
const viewers = new Set();
let agent = null;
let paused = false;

const viewerServer = new WebSocketServer({ host: '127.0.0.1', port: Number(viewerPort) });
viewerServer.on('connection', (ws) => {
	viewers.add(ws);
	ws.on('message', (d) => agent?.send(d, { binary: false }));
	ws.on('close', () => viewers.delete(ws));
	ws.on('error', () => {});
});

const tls = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) });
const agentServer = new WebSocketServer({ server: tls });
agentServer.on('connection', (ws) => {
	agent = ws;
	ws.on('error', () => {});
	ws.on('message', (d) => {
		let max = 0;
		for (const v of viewers) {
			v.send(d, { binary: true });
			max = Math.max(max, v.bufferedAmount);
		}
		if (max > HIGH && !paused) {
			paused = true;
			ws._socket.pause();
			const poll = setInterval(() => {
				for (const v of viewers) if (v.bufferedAmount > LOW) return;
				clearInterval(poll);
				paused = false;
				ws._socket.resume();
			}, 2);
		}
	});
});
tls.listen(Number(agentPort), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
