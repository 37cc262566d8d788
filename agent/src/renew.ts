// The agent's certificate renewal: a new key pair and a CSR sent over the live link when a third of the
// certificate's life is left, or at once when an administrator asks. The new pair is stored crash-safely
// (store.ts), and the link reconnects with it, which retires the old certificate on the server.
import crypto from 'node:crypto';
import { AGENT_URI_PREFIX, certRenewalDue } from '../../src/lib/protocol/agent';
import type { Link } from './link';
import type { Logger } from './log';
import type { Outbox } from './outbox';
import { replaceCertificate, type Identity } from './store';
import { issuedCertificateProblem, newKeyRequest, x509 } from './x509';

/** How often a running agent looks at its certificate's age. */
const CHECK_EVERY_MS = 6 * 3600_000;

export interface CertRenewal {
	/** Renews now; resolves when done or refused (never rejects). */
	renew(why: string): Promise<boolean>;
	stop(): void;
}

/** True when the certificate (PEM) has a third of its life or less left. */
export function certificateDue(certPem: string, now = new Date()): boolean {
	const c = new x509.X509Certificate(certPem);
	return certRenewalDue(c.notBefore, c.notAfter, now);
}

/**
 * Checks that a certificate the server returned is for our new key, names this agent and chains to the CA
 * pinned at enrolment; throws with the reason otherwise.
 */
export async function checkRenewedCertificate(
	certPem: string,
	publicKeySpki: Buffer,
	caPem: string,
	agentId: string
): Promise<void> {
	const problem = issuedCertificateProblem(certPem, publicKeySpki, caPem);
	if (problem) throw new Error(problem);
	const names = (new crypto.X509Certificate(certPem).subjectAltName ?? '').split(', ');
	if (!names.includes(`URI:${AGENT_URI_PREFIX}${agentId}`))
		throw new Error('the returned certificate names another agent');
}

export function startCertRenewal(deps: {
	link: Link;
	identity: Identity;
	log: Logger;
	outbox: Outbox;
	/** Where the identity lives on disk (default identity.dir; '' keeps a renewal in memory only). */
	storeDir?: string;
}): CertRenewal {
	const { link, identity: id, log, outbox } = deps;
	const storeDir = deps.storeDir ?? id.dir;
	let running: Promise<boolean> | null = null;

	async function attempt(why: string): Promise<boolean> {
		log('info', `renewing the agent certificate (${why})`);
		const req = await newKeyRequest(`CN=${AGENT_URI_PREFIX}${id.agentId}`);
		let ack;
		try {
			ack = await link.request('cert:renew', { csr: req.csrPem });
		} catch (e) {
			log('warning', `certificate renewal not sent: ${(e as Error).message}; it is tried again later`);
			return false;
		}
		if (!ack.ok) {
			log('warning', `the server refused the certificate renewal: ${ack.error}`);
			outbox.push('event', { level: 'warning', message: `certificate renewal refused: ${ack.error}` });
			return false;
		}
		try {
			await checkRenewedCertificate(ack.certificate, req.spki, id.ca, id.agentId);
		} catch (e) {
			// The server will still take the old certificate: keep it, and say so.
			const msg = `certificate renewal: ${(e as Error).message}; kept the current certificate`;
			log('error', msg);
			outbox.push('event', { level: 'error', message: msg });
			return false;
		}
		const keyPem = await req.keyPem();
		if (storeDir) replaceCertificate(storeDir, keyPem, ack.certificate);
		id.previousKey = id.key;
		id.key = keyPem;
		id.cert = ack.certificate;
		const until = new x509.X509Certificate(ack.certificate).notAfter.toISOString();
		log('info', `new agent certificate stored, valid until ${until}; reconnecting with it`);
		outbox.push('event', { level: 'info', message: `certificate renewed (${why}), valid until ${until}` });
		link.reconnectNow();
		return true;
	}

	function renew(why: string): Promise<boolean> {
		running ??= attempt(why)
			.catch((e: Error) => {
				log('error', `certificate renewal failed: ${e.message}`);
				return false;
			})
			.finally(() => {
				running = null;
			});
		return running;
	}

	const check = () => {
		if (!link.isReady) return;
		if (link.renewAsked) {
			link.renewAsked = false;
			void renew('asked by an administrator');
		} else if (certificateDue(id.cert)) void renew('a third of its life is left');
	};
	link.onReady(check);
	link.on('cert:renew-now', () => void renew('asked by an administrator'));
	const timer = setInterval(check, CHECK_EVERY_MS);
	timer.unref();
	return { renew, stop: () => clearInterval(timer) };
}
