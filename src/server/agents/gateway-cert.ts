// The gateway's own certificate is renewed in the database (by this node or another); a daily check swaps the
// new one into the running TLS server, so links made from then on see it without a restart.
import type https from 'node:https';
import type { Runtime } from '../runtime';
import { gatewayCredentials, type GatewayCredentials } from './pki';

const CERT_CHECK_MS = 24 * 3600_000;

/** Checks daily for a newer gateway certificate than `creds` and serves it; clear the timer to stop. */
export function startCertificateCheck(
	server: https.Server,
	rt: Runtime,
	hostnames: string[],
	creds: GatewayCredentials
): NodeJS.Timeout {
	const certCheck = setInterval(async () => {
		try {
			const next = await gatewayCredentials(rt.db, rt.config, rt.nodeId, hostnames);
			if (next.chain !== creds.chain) {
				creds = next;
				server.setSecureContext({ key: creds.key, cert: creds.chain, ca: [creds.ca] });
				console.log(`agent gateway: new certificate, valid until ${creds.notAfter.toISOString()}`);
			}
		} catch (e) {
			console.error('agent gateway: certificate check failed:', (e as Error).message);
		}
	}, CERT_CHECK_MS);
	certCheck.unref();
	return certCheck;
}
