// B1's baseline: a bare WebSocket server over TLS (the `ws` package, Node https), asking for and verifying
// client certificates against the same CA as the agent gateway, and doing nothing else. Prints
// "listening PORT". Usage: node ws-baseline.mjs KEY CERT CA
import fs from 'node:fs';
import https from 'node:https';
import { WebSocketServer } from 'ws';

const [key, cert, ca] = process.argv.slice(2).map((f) => fs.readFileSync(f, 'utf8'));
const server = https.createServer({ key, cert, ca: [ca], requestCert: true, rejectUnauthorized: true });
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('error', () => {}));
server.listen(0, '127.0.0.1', () =>
	console.log(`listening ${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`)
);
process.on('SIGTERM', () => process.exit(0));
