// @peculiar/x509 needs the Reflect metadata polyfill loaded before it, and a WebCrypto provider.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import crypto from 'node:crypto';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export { x509 };

/** ECDSA P-256 with SHA-256 for the CA, gateway and agent certificates. */
export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateEcKeys(): Promise<CryptoKeyPair> {
	return (await crypto.webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPkcs8(key: CryptoKey): Promise<Buffer> {
	return Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', key));
}

export async function importEcPrivateKey(pkcs8: Buffer): Promise<CryptoKey> {
	return crypto.webcrypto.subtle.importKey('pkcs8', pkcs8, EC_ALG, false, ['sign']);
}

export function pkcs8Pem(der: Buffer): string {
	return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({
		type: 'pkcs8',
		format: 'pem'
	}) as string;
}

/** A positive random 128-bit serial number, hex. */
export function randomSerial(): string {
	const b = crypto.randomBytes(16);
	b[0] &= 0x7f;
	if (b[0] === 0) b[0] = 1;
	return b.toString('hex');
}

/** The CA pin carried in join tokens: base64url SHA-256 of the certificate's SubjectPublicKeyInfo. */
export function spkiPin(certPem: string): string {
	const spki = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
	return crypto.createHash('sha256').update(spki).digest('base64url');
}

/** "AB:CD:…" as Node prints fingerprint256, for comparing with a peer certificate. */
export function fingerprint256(certPem: string): string {
	return new crypto.X509Certificate(certPem).fingerprint256;
}
