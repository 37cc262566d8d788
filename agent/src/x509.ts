import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import crypto from 'node:crypto';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export { x509 };
export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A new ECDSA P-256 key pair made here and a PKCS#10 request for it: what enrolment and renewal send. */
export async function newKeyRequest(subject: string): Promise<{
	csrPem: string;
	/** The public key (SubjectPublicKeyInfo, DER): what the returned certificate must carry. */
	spki: Buffer;
	/** The private key as PKCS#8 PEM, for the agent's directory. */
	keyPem(): Promise<string>;
}> {
	const keys = (await crypto.webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
	const csr = await x509.Pkcs10CertificateRequestGenerator.create({
		name: subject,
		keys,
		signingAlgorithm: EC_ALG
	});
	return {
		csrPem: csr.toString('pem'),
		spki: Buffer.from(await crypto.webcrypto.subtle.exportKey('spki', keys.publicKey)),
		keyPem: async () => {
			const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
			return crypto
				.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
				.export({ type: 'pkcs8', format: 'pem' }) as string;
		}
	};
}

/**
 * Why a certificate the server returned cannot be used (lower case, no full stop), or null: it must be for
 * our key (`spki`) and signed by the CA pinned at enrolment.
 */
export function issuedCertificateProblem(certPem: string, spki: Buffer, caPem: string): string | null {
	const cert = new crypto.X509Certificate(certPem);
	const ca = new crypto.X509Certificate(caPem);
	if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(spki))
		return 'the server returned a certificate for another key';
	if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
		return 'the returned certificate is not signed by the pinned CA';
	return null;
}
