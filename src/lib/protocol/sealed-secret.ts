import { z } from 'zod';
import { sealedSecretSchema, type SealedSecret } from './consoles';

/**
 * A console credential sealed for one agent (ECIES on WebCrypto only, so it runs in Node 20 and browsers):
 * an ephemeral P-256 key agrees a secret with the agent's certificate key (ECDH), HKDF-SHA256 turns it into
 * an AES-256-GCM key, and the pipe id is the authenticated data, so a sealed secret cannot be replayed into
 * another pipe. Only the agent holding the certificate's private key can open it.
 */

export const secretPlaintextSchema = z.strictObject({
	password: z.string().max(4096).optional(),
	privateKey: z
		.string()
		.max(32 * 1024)
		.optional(),
	passphrase: z.string().max(4096).optional()
});
export type SecretPlaintext = z.infer<typeof secretPlaintextSchema>;

const CURVE = { name: 'ECDH', namedCurve: 'P-256' } as const;
const INFO = new TextEncoder().encode('fleetdesk sealed secret v1');
/** What fits the contract's `ct` field (64 KiB of base64url). */
const MAX_PLAINTEXT_BYTES = 48 * 1024;

/** Thrown when a sealed secret cannot be opened; the message is safe to show. */
export class SealedSecretError extends Error {}

/**
 * Seals `plaintext` for the agent whose public key is given (its certificate PEM, a PUBLIC KEY PEM, or
 * SPKI DER bytes), bound to `pipeId`.
 */
export async function sealSecret(
	recipient: string | Uint8Array,
	pipeId: string,
	plaintext: SecretPlaintext
): Promise<SealedSecret> {
	const data = new TextEncoder().encode(JSON.stringify(secretPlaintextSchema.parse(plaintext)));
	if (data.length > MAX_PLAINTEXT_BYTES)
		throw new SealedSecretError('The credential is too large to seal (at most 48 KiB).');
	const agentKey = await subtle().importKey('spki', toBuffer(recipientSpki(recipient)), CURVE, false, []);
	const eph = (await subtle().generateKey(CURVE, true, ['deriveBits'])) as CryptoKeyPair;
	const epk = new Uint8Array(await subtle().exportKey('raw', eph.publicKey));
	const key = await deriveKey(eph.privateKey, agentKey, epk, ['encrypt']);
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const out = new Uint8Array(
		await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(pipeId), tagLength: 128 }, key, data)
	);
	return sealedSecretSchema.parse({
		epk: b64url(epk),
		iv: b64url(iv),
		ct: b64url(out.subarray(0, out.length - 16)),
		tag: b64url(out.subarray(out.length - 16))
	});
}

/**
 * Opens a secret sealed for this agent. `privateKeyPem` is the agent's PKCS#8 key (agent.key). Throws
 * SealedSecretError when the secret was sealed for another agent or pipe, or was altered.
 */
export async function openSecret(
	privateKeyPem: string,
	pipeId: string,
	sealed: SealedSecret
): Promise<SecretPlaintext> {
	const bad = () =>
		new SealedSecretError(
			'The console credential could not be opened: it was sealed for another agent or changed on the way.'
		);
	const s = sealedSecretSchema.safeParse(sealed);
	if (!s.success) throw bad();
	let own: CryptoKey;
	try {
		own = await subtle().importKey('pkcs8', toBuffer(pemBody(privateKeyPem, 'PRIVATE KEY')), CURVE, false, [
			'deriveBits'
		]);
	} catch {
		throw new SealedSecretError("The agent's key is not a PKCS#8 P-256 private key; enrol the agent again.");
	}
	let plain: Uint8Array;
	try {
		const epk = unb64url(s.data.epk);
		const theirs = await subtle().importKey('raw', toBuffer(epk), CURVE, false, []);
		const key = await deriveKey(own, theirs, epk, ['decrypt']);
		const ct = unb64url(s.data.ct);
		const tag = unb64url(s.data.tag);
		const joined = new Uint8Array(ct.length + tag.length);
		joined.set(ct);
		joined.set(tag, ct.length);
		plain = new Uint8Array(
			await subtle().decrypt(
				{ name: 'AES-GCM', iv: toBuffer(unb64url(s.data.iv)), additionalData: aad(pipeId), tagLength: 128 },
				key,
				toBuffer(joined)
			)
		);
	} catch {
		throw bad();
	}
	const parsed = secretPlaintextSchema.safeParse(safeJson(new TextDecoder().decode(plain)));
	if (!parsed.success) throw bad();
	return parsed.data;
}

async function deriveKey(
	own: CryptoKey,
	theirs: CryptoKey,
	epk: Uint8Array,
	usage: KeyUsage[]
): Promise<CryptoKey> {
	const shared = await subtle().deriveBits({ name: 'ECDH', public: theirs }, own, 256);
	const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey']);
	return subtle().deriveKey(
		{ name: 'HKDF', hash: 'SHA-256', salt: toBuffer(epk), info: toBuffer(INFO) },
		ikm,
		{ name: 'AES-GCM', length: 256 },
		false,
		usage
	);
}

function subtle(): SubtleCrypto {
	return globalThis.crypto.subtle;
}

function aad(pipeId: string): ArrayBuffer {
	return toBuffer(new TextEncoder().encode(pipeId));
}

/** A fresh ArrayBuffer with exactly these bytes (WebCrypto's BufferSource typing wants one). */
function toBuffer(b: Uint8Array): ArrayBuffer {
	const out = new ArrayBuffer(b.length);
	new Uint8Array(out).set(b);
	return out;
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

// ------------------------------------------------------------------ keys and encodings

/** The SubjectPublicKeyInfo of a certificate PEM, a PUBLIC KEY PEM, or SPKI DER as given. */
export function recipientSpki(recipient: string | Uint8Array): Uint8Array {
	if (typeof recipient !== 'string') return recipient;
	if (recipient.includes('BEGIN PUBLIC KEY')) return pemBody(recipient, 'PUBLIC KEY');
	if (recipient.includes('BEGIN CERTIFICATE')) return certificateSpki(pemBody(recipient, 'CERTIFICATE'));
	throw new SealedSecretError("The agent's key must be a certificate or PUBLIC KEY in PEM form.");
}

function pemBody(pem: string, label: string): Uint8Array {
	const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
	if (!m) throw new SealedSecretError(`Expected a PEM ${label}.`);
	return unb64(m[1].replace(/\s+/g, ''));
}

/** One DER element: where its contents start and end. */
function tlv(der: Uint8Array, at: number): { tag: number; start: number; end: number } {
	const tag = der[at];
	let len = der[at + 1];
	let start = at + 2;
	if (len & 0x80) {
		const n = len & 0x7f;
		if (n < 1 || n > 4) throw new SealedSecretError('The certificate is not valid DER.');
		len = 0;
		for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
		start += n;
	}
	if (tag === undefined || start + len > der.length)
		throw new SealedSecretError('The certificate is not valid DER.');
	return { tag, start, end: start + len };
}

/** Certificate → tbsCertificate → [version], serial, signature, issuer, validity, subject, SPKI. */
function certificateSpki(der: Uint8Array): Uint8Array {
	const cert = tlv(der, 0);
	const tbs = tlv(der, cert.start);
	let at = tbs.start;
	let field = tlv(der, at);
	if (field.tag === 0xa0) {
		at = field.end;
		field = tlv(der, at);
	}
	for (let i = 0; i < 5; i++) {
		at = field.end;
		field = tlv(der, at);
	}
	if (field.tag !== 0x30) throw new SealedSecretError('The certificate holds no public key.');
	return der.subarray(at, field.end);
}

function b64url(b: Uint8Array): string {
	let s = '';
	for (const x of b) s += String.fromCharCode(x);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64url(s: string): Uint8Array {
	return unb64(s.replace(/-/g, '+').replace(/_/g, '/'));
}

function unb64(s: string): Uint8Array {
	const bin = atob(s.padEnd(Math.ceil(s.length / 4) * 4, '='));
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}
