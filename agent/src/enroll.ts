// `fleetdesk-agent enroll`: make a key pair here, check that the server holds the CA the join token pins,
// only then send the token with a CSR, and store what comes back.
import crypto from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import {
	ENROLL_PATH,
	enrollResponse,
	parseJoinToken,
	type AgentOs,
	type EnrollRequest,
	type EnrollResponse
} from '../../src/lib/protocol/agent';
import { AGENT_VERSION } from './version';
import { issuedCertificateProblem, newKeyRequest } from './x509';
import { hasIdentity, saveIdentity } from './store';

export class EnrollError extends Error {}

export function gatewayUrl(server: string): URL {
	let u: URL;
	try {
		u = new URL(server);
	} catch {
		throw new EnrollError(`--server "${server}" is not a URL: use https://HOST:8443`);
	}
	if (u.protocol !== 'https:')
		throw new EnrollError('--server must be an https:// URL (the agent gateway speaks only TLS).');
	if (!u.port) u.port = '8443';
	return u;
}

const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '');

function pinOf(der: Buffer): string {
	const spki = new crypto.X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
	return crypto.createHash('sha256').update(spki).digest('base64url');
}

/**
 * Connects once without trusting anything, and looks in the certificate chain the server presents for the
 * CA whose key the token pins. Nothing secret is sent on this connection.
 */
export async function pinnedCa(
	u: URL,
	pin: string,
	timeoutMs = 10_000,
	localAddress?: string
): Promise<string> {
	const host = hostOf(u);
	const chain = await new Promise<tls.DetailedPeerCertificate[]>((resolve, reject) => {
		const s = tls.connect({
			host,
			port: Number(u.port),
			servername: net.isIP(host) ? undefined : host,
			rejectUnauthorized: false,
			// tls.connect passes it on to the socket; @types/node does not list it
			...({ localAddress } as tls.ConnectionOptions)
		});
		s.setTimeout(timeoutMs, () => s.destroy(new Error('timed out')));
		s.once('secureConnect', () => {
			const certs: tls.DetailedPeerCertificate[] = [];
			let c: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true);
			while (c && c.raw && !certs.some((x) => x.raw.equals(c!.raw))) {
				certs.push(c);
				c = c.issuerCertificate;
			}
			s.destroy();
			resolve(certs);
		});
		s.once('error', (e) => reject(new EnrollError(`Cannot reach ${u.host} over TLS: ${e.message}`)));
	});
	for (const c of chain) if (pinOf(c.raw) === pin) return new crypto.X509Certificate(c.raw).toString();
	throw new EnrollError(
		`The server at ${u.host} does not hold the Fleetdesk CA this join token was made for, so the token was not sent. ` +
			'Check the --server address; if it is right, someone may be impersonating the server.'
	);
}

function post(
	u: URL,
	path: string,
	body: unknown,
	ca: string,
	timeoutMs = 30_000,
	localAddress?: string
): Promise<{ status: number; json: unknown }> {
	const host = hostOf(u);
	return new Promise((resolve, reject) => {
		const data = Buffer.from(JSON.stringify(body));
		const req = https.request(
			{
				host,
				port: Number(u.port),
				method: 'POST',
				path,
				ca,
				servername: net.isIP(host) ? undefined : host,
				agent: false,
				timeout: timeoutMs,
				localAddress,
				headers: { 'content-type': 'application/json', 'content-length': data.length }
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let json: unknown = null;
					try {
						json = JSON.parse(text);
					} catch {
						/* not JSON */
					}
					resolve({ status: res.statusCode ?? 0, json });
				});
			}
		);
		req.on('timeout', () => req.destroy(new Error('timed out')));
		req.on('error', (e) => reject(new EnrollError(`Enrolment request to ${u.host} failed: ${e.message}`)));
		req.end(data);
	});
}

export interface EnrollOptions {
	server: string;
	token: string;
	dir: string;
	force?: boolean;
	hostname?: string;
	/** Virtual agents (`simulate`) describe their own OS and may enrol from their own loopback address. */
	os?: AgentOs;
	localAddress?: string;
}

export async function enroll(o: EnrollOptions): Promise<EnrollResponse> {
	const parts = parseJoinToken(o.token);
	if (!parts)
		throw new EnrollError('That is not a Fleetdesk join token (it starts with fdj1.): copy it again.');
	if (hasIdentity(o.dir) && !o.force)
		throw new EnrollError(
			`${o.dir} already holds an agent identity. Use --force to replace it with a new one ` +
				'(revoke the old one on the server with `fleetdesk agent revoke ID`).'
		);
	const u = gatewayUrl(o.server);
	const caPem = await pinnedCa(u, parts.caPin, undefined, o.localAddress);

	const hostname =
		(o.hostname ?? os.hostname()).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'host';
	const req = await newKeyRequest(`CN=${hostname}`);
	const request: EnrollRequest = {
		token: o.token.trim(),
		csr: req.csrPem,
		hostname,
		agentVersion: AGENT_VERSION,
		os: o.os ?? { platform: os.platform(), release: os.release(), arch: os.arch() }
	};
	const res = await post(u, ENROLL_PATH, request, caPem, undefined, o.localAddress);
	if (res.status !== 200) {
		const msg = (res.json as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
		throw new EnrollError(`The server refused the enrolment: ${msg}`);
	}
	const p = enrollResponse.safeParse(res.json);
	if (!p.success) throw new EnrollError('The server answered the enrolment with something unreadable.');
	const r = p.data;

	// What came back must be for our key and from the pinned CA.
	const problem = issuedCertificateProblem(r.certificate, req.spki, caPem);
	if (problem) throw new EnrollError(`${problem[0].toUpperCase()}${problem.slice(1)}; nothing was stored.`);
	if (pinOf(new crypto.X509Certificate(r.caCertificate).raw) !== parts.caPin)
		throw new EnrollError(
			'The server returned a different CA certificate than the pinned one; nothing was stored.'
		);
	const keyPem = await req.keyPem();
	saveIdentity(o.dir, {
		agentId: r.agentId,
		server: u.origin,
		deviceName: r.deviceName,
		enrolledAt: new Date().toISOString(),
		key: keyPem,
		cert: r.certificate,
		ca: caPem,
		signingKey: r.taskSigningPublicKey
	});
	return r;
}
