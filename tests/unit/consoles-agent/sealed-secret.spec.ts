// Console credentials sealed for one agent: only that agent opens them, only for that pipe, unaltered.
import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { sealedSecretSchema, type SealedSecret } from '../../../src/lib/protocol/consoles';
import {
	openSecret,
	recipientSpki,
	sealSecret,
	SealedSecretError
} from '../../../src/lib/protocol/sealed-secret';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const PIPE = '5b0c6d8e-2f0a-4a39-9a59-2f8c1b7d3e10';

/** An agent key made and stored the way `fleetdesk-agent enroll` does, with a certificate for it. */
async function agent() {
	const keys = (await crypto.webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
	const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
	const keyPem = crypto
		.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
		.export({ type: 'pkcs8', format: 'pem' }) as string;
	const cert = await x509.X509CertificateGenerator.createSelfSigned({
		serialNumber: '01',
		name: 'CN=urn:fleetdesk:agent:test',
		notBefore: new Date(Date.now() - 60_000),
		notAfter: new Date(Date.now() + 86_400_000),
		keys,
		signingAlgorithm: EC,
		extensions: [
			new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'urn:fleetdesk:agent:test' }])
		]
	});
	const spkiPem = crypto
		.createPublicKey(cert.toString('pem'))
		.export({ type: 'spki', format: 'pem' }) as string;
	return { keyPem, certPem: cert.toString('pem'), spkiPem };
}

const flip = (s: string, at = 5) => {
	const b = Buffer.from(s, 'base64url');
	b[at % b.length] ^= 1;
	return b.toString('base64url');
};

describe('sealed secrets', () => {
	it('round-trip for the agent whose certificate, public key or SPKI bytes sealed them', async () => {
		const a = await agent();
		const secret = {
			password: 'pässwörd',
			privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\n…',
			passphrase: 'pp'
		};
		const spkiDer = crypto.createPublicKey(a.spkiPem).export({ type: 'spki', format: 'der' });
		expect(Buffer.from(recipientSpki(a.certPem))).toEqual(spkiDer);
		for (const recipient of [a.certPem, a.spkiPem, new Uint8Array(spkiDer)]) {
			const sealed = await sealSecret(recipient, PIPE, secret);
			expect(sealedSecretSchema.safeParse(sealed).success).toBe(true);
			expect(JSON.stringify(sealed)).not.toContain('pässwörd');
			expect(await openSecret(a.keyPem, PIPE, sealed)).toEqual(secret);
		}
	});

	it('differ every time (fresh ephemeral key and IV)', async () => {
		const a = await agent();
		const x = await sealSecret(a.certPem, PIPE, { password: 'p' });
		const y = await sealSecret(a.certPem, PIPE, { password: 'p' });
		expect(x.epk).not.toBe(y.epk);
		expect(x.ct).not.toBe(y.ct);
	});

	it('refuse another agent, another pipe, and any altered field', async () => {
		const a = await agent();
		const b = await agent();
		const sealed = await sealSecret(a.certPem, PIPE, { password: 'secret' });
		const refused = (p: Promise<unknown>) =>
			expect(p).rejects.toThrow(
				new SealedSecretError(
					'The console credential could not be opened: it was sealed for another agent or changed on the way.'
				)
			);
		await refused(openSecret(b.keyPem, PIPE, sealed));
		await refused(openSecret(a.keyPem, crypto.randomUUID(), sealed));
		for (const field of ['ct', 'tag', 'iv'] as const)
			await refused(openSecret(a.keyPem, PIPE, { ...sealed, [field]: flip(sealed[field]) }));
		// Another valid curve point as the ephemeral key.
		await refused(
			openSecret(a.keyPem, PIPE, { ...sealed, epk: (await sealSecret(b.certPem, PIPE, {})).epk })
		);
		await refused(openSecret(a.keyPem, PIPE, { ...sealed, epk: flip(sealed.epk, 10) }));
		await refused(openSecret(a.keyPem, PIPE, { ...sealed, ct: '' } as SealedSecret));
	});

	it('accept only the credential fields, within the size the contract carries', async () => {
		const a = await agent();
		await expect(sealSecret(a.certPem, PIPE, { token: 'x' } as never)).rejects.toThrow();
		await expect(sealSecret(a.certPem, PIPE, { privateKey: 'k'.repeat(32 * 1024) })).resolves.toBeTruthy();
		await expect(sealSecret(a.certPem, PIPE, { privateKey: 'k'.repeat(32 * 1024 + 1) })).rejects.toThrow();
		await expect(sealSecret('not a key', PIPE, {})).rejects.toThrow(SealedSecretError);
		await expect(
			openSecret(
				'-----BEGIN EC PRIVATE KEY-----x-----END EC PRIVATE KEY-----',
				PIPE,
				await sealSecret(a.certPem, PIPE, {})
			)
		).rejects.toThrow(/not a PKCS#8 P-256 private key/);
	});
});
