import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './env';
import { serverKit } from './kit-global';

/**
 * Production entry: one HTTP(S) server carrying SvelteKit, tRPC, Socket.IO; the admin socket for the CLI.
 * Every service comes from the SvelteKit bundle (kit.ts), so the process holds one copy of the server's code.
 */
async function main(): Promise<void> {
	const config = loadConfig();
	const secure = !!config.tls;

	// adapter-node reads these when its handler is imported: tell it how to see the request's real origin.
	if (config.origin) process.env.ORIGIN = config.origin;
	process.env.PROTOCOL_HEADER = 'x-fleetdesk-proto';
	process.env.HOST_HEADER = 'x-fleetdesk-host';
	// Bodies up to 25 MB reach the app (documents are up to 20 MB); each route enforces its own, smaller limit.
	process.env.BODY_SIZE_LIMIT ??= '25M';
	if (config.trustProxy) {
		process.env.ADDRESS_HEADER = 'x-forwarded-for';
		process.env.XFF_DEPTH ??= '1';
	}

	const here = path.dirname(fileURLToPath(import.meta.url));
	const { handler } = (await import(path.join(here, 'handler.js'))) as {
		handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
	};
	const kit = serverKit();
	const started = await kit.boot(config);
	const rt = started.runtime;

	const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
		const fwdProto = config.trustProxy
			? String(req.headers['x-forwarded-proto'] ?? '')
					.split(',')[0]
					.trim()
			: '';
		const fwdHost = config.trustProxy
			? String(req.headers['x-forwarded-host'] ?? '')
					.split(',')[0]
					.trim()
			: '';
		req.headers['x-fleetdesk-proto'] = fwdProto || (secure ? 'https' : 'http');
		req.headers['x-fleetdesk-host'] = fwdHost || req.headers.host || 'localhost';
		handler(req, res);
	};
	const server = config.tls
		? https.createServer(
				{ cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) },
				onRequest
			)
		: http.createServer(onRequest);
	// Keep idle connections longer than clients and proxies typically reuse them (Node's default is 5 s),
	// so a request on a reused connection never meets a socket the server is just closing.
	server.keepAliveTimeout = 65_000;
	server.headersTimeout = 66_000;

	const services = await kit.startServices(server as http.Server, started);

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, resolve);
	});

	const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
	const url = config.origin ?? `${secure ? 'https' : 'http'}://${shownHost}:${config.port}`;
	const lines = [
		`Fleetdesk ${rt.version} is running at ${url}`,
		`Database: ${rt.dbKind === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'db')}` : 'PostgreSQL (DATABASE_URL)'} · node ${rt.nodeId}`
	];
	if (started.firstAdmin.generated) {
		lines.push(
			'',
			'First start: sign in as "admin" with this generated password (it is shown only this once):',
			'',
			`    ${started.firstAdmin.generated}`,
			''
		);
	} else if (started.firstAdmin.created) {
		lines.push('First start: sign in as "admin" with the password from FLEETDESK_ADMIN_PASSWORD.');
	}
	// one write, so whoever watches for the URL line also gets the sign-in line
	console.log(lines.join('\n'));

	let stopping = false;
	const stop = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`${signal}: stopping Fleetdesk…`);
		setTimeout(() => process.exit(1), 10_000).unref();
		await services.close();
		server.closeAllConnections?.();
		await new Promise<void>((r) => server.close(() => r()));
		await started.close();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop('SIGINT'));
	process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: Error) => {
	console.error(e.message);
	if (process.env.FLEETDESK_DEBUG) console.error(e.stack);
	process.exit(1);
});
