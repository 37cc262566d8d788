// The agent gateway's HTTP side: POST /enroll (the only thing reachable without a client certificate), 403 for
// anything else without an enrolled agent's certificate; bounded bodies, JSON answers, a refusal log that a
// flood of bad clients cannot flood, and the certificate → agent id rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Db } from '../db/client';
import type { Config } from '../env';
import { UserError } from '../errors';
import type { RateLimiter } from '../auth/rate-limit';
import { AGENT_URI_PREFIX, ENROLL_PATH, MAX_ENROLL_BODY_BYTES } from '../../lib/protocol/agent';
import { enrollAgent, EnrollRefused } from './enroll';

export type RefusalLog = (address: string, reason: string) => void;

/** Logs refusals, at most 60 lines a minute: a flood of bad clients must not flood the log. */
export function refusalLogger(): RefusalLog {
	let windowStart = 0;
	let lines = 0;
	let suppressed = 0;
	return (address: string, reason: string) => {
		const now = Date.now();
		if (now - windowStart > 60_000) {
			if (suppressed)
				console.warn(`agent gateway: ${suppressed} more refusals in the last minute not logged`);
			windowStart = now;
			lines = 0;
			suppressed = 0;
		}
		if (++lines > 60) suppressed++;
		else console.warn(`agent gateway: refused ${address || 'unknown address'}: ${reason}`);
	};
}

export function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > limit) {
				resolve(null);
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
	if (res.headersSent) return;
	res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
	res.end(JSON.stringify(body));
}

/** The agent id in a client certificate: its SAN URI, which the CN must repeat. */
export function agentIdOf(peer: PeerCertificate | undefined): string | null {
	if (!peer || !peer.subjectaltname) return null;
	const uris = peer.subjectaltname
		.split(', ')
		.filter((s) => s.startsWith('URI:'))
		.map((s) => s.slice(4));
	if (uris.length !== 1 || !uris[0].startsWith(AGENT_URI_PREFIX)) return null;
	const id = uris[0].slice(AGENT_URI_PREFIX.length);
	if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return null;
	const cn = peer.subject?.CN;
	return cn === uris[0] ? id : null;
}

/** At most `n` holders at a time; acquire() resolves with the release function. */
export function semaphore(n: number): { acquire(): Promise<() => void> } {
	let free = n;
	const waiting: (() => void)[] = [];
	const release = () => {
		const next = waiting.shift();
		if (next) next();
		else free++;
	};
	return {
		acquire: () =>
			new Promise((resolve) => {
				if (free > 0) {
					free--;
					resolve(release);
				} else waiting.push(() => resolve(release));
			})
	};
}

export interface GatewayRequestDeps {
	db: Db;
	config: Config;
	enrolLimiter: RateLimiter;
	logRefusal: RefusalLog;
	/** Whether the TLS peer is an enrolled, non-revoked agent (`agent` in the answer) or why not (`why`). */
	identify(tls: TLSSocket): Promise<{ agent: unknown } | { why: string }>;
}

/** Every plain HTTP request to the gateway (engine.io answers its own path before this). */
export async function handleGatewayRequest(
	req: IncomingMessage,
	res: ServerResponse,
	deps: GatewayRequestDeps
): Promise<void> {
	const tls = req.socket as TLSSocket;
	const addr = req.socket.remoteAddress ?? '';
	const url = new URL(req.url ?? '/', 'https://gateway');
	if (url.pathname === ENROLL_PATH) {
		if (req.method !== 'POST') return sendJson(res, 405, { error: 'Enrol with POST.' });
		const wait = deps.enrolLimiter.hit(addr);
		if (wait) {
			deps.logRefusal(addr, 'too many enrolment attempts');
			return sendJson(res, 429, {
				error: `Too many enrolment attempts from this address: wait ${wait} s.`
			});
		}
		const text = await readBody(req, MAX_ENROLL_BODY_BYTES);
		if (text === null) {
			deps.logRefusal(addr, 'enrolment request too large');
			return sendJson(res, 413, { error: 'The enrolment request is too large.' });
		}
		let body: unknown = null;
		try {
			body = JSON.parse(text);
		} catch {
			/* enrollAgent refuses (and audits) the malformed request */
		}
		try {
			return sendJson(res, 200, await enrollAgent(deps.db, deps.config, body, addr));
		} catch (e) {
			if (e instanceof EnrollRefused) return sendJson(res, e.status, { error: e.message });
			if (e instanceof UserError) return sendJson(res, 400, { error: e.message });
			console.error('agent enrolment failed:', e);
			return sendJson(res, 500, {
				error: 'The server failed to enrol this agent; the error is in its log.'
			});
		}
	}
	const who = await deps.identify(tls).catch(() => null);
	if (!who || !('agent' in who)) {
		deps.logRefusal(addr, `HTTP ${req.method} ${url.pathname}: ${who?.why ?? 'identity check failed'}`);
		return sendJson(res, 403, { error: 'A client certificate of an enrolled agent is required.' });
	}
	sendJson(res, 404, { error: 'Not found.' });
}
