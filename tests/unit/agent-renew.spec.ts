// Certificate renewal, the parts without a server: when it is due, what the agent accepts back, how the new
// key and certificate are stored so that a crash leaves a matching pair, and when the server refuses.
import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_URI_PREFIX, certRenewalDue } from '../../src/lib/protocol/agent';
import { certificateDue, checkRenewedCertificate } from '../../agent/src/renew';
import { FILES, finishReplacement, replaceCertificate } from '../../agent/src/store';
import { renewalRefusal } from '../../src/server/agents/renew';
import type { AgentRow } from '../../src/server/agents/registry';
import { EC_ALG, generateEcKeys, x509 } from '../../src/server/agents/x509';

const DAY = 86_400_000;

async function cert(o: {
	keys: CryptoKeyPair;
	issuer?: { keys: CryptoKeyPair; name: string };
	name: string;
	uri?: string;
	from: Date;
	to: Date;
}): Promise<string> {
	const c = await x509.X509CertificateGenerator.create({
		serialNumber: crypto.randomBytes(8).toString('hex'),
		subject: `CN=${o.name}`,
		issuer: `CN=${o.issuer?.name ?? o.name}`,
		notBefore: o.from,
		notAfter: o.to,
		signingKey: (o.issuer?.keys ?? o.keys).privateKey,
		publicKey: o.keys.publicKey,
		signingAlgorithm: EC_ALG,
		extensions: o.uri
			? [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: o.uri }])]
			: [new x509.BasicConstraintsExtension(true, undefined, true)]
	});
	return c.toString('pem');
}

const spki = async (k: CryptoKeyPair) =>
	Buffer.from(await crypto.webcrypto.subtle.exportKey('spki', k.publicKey));

describe('when a certificate is due', () => {
	const from = new Date('2026-01-01T00:00:00Z');
	const to = new Date(from.getTime() + 300 * DAY);
	it('is due in the last third of its life, not before', () => {
		expect(certRenewalDue(from, to, new Date(from.getTime() + 199 * DAY))).toBe(false);
		expect(certRenewalDue(from, to, new Date(from.getTime() + 200 * DAY))).toBe(true);
		expect(certRenewalDue(from, to, new Date(to.getTime() + DAY))).toBe(true);
		expect(certRenewalDue(to, from)).toBe(true);
	});
	it('reads the agent certificate’s own validity', async () => {
		const keys = await generateEcKeys();
		const pem = await cert({ keys, name: 'a', from, to });
		expect(certificateDue(pem, new Date(from.getTime() + 10 * DAY))).toBe(false);
		expect(certificateDue(pem, new Date(from.getTime() + 250 * DAY))).toBe(true);
	});
});

describe('what the agent accepts back', () => {
	it('only a certificate for its new key, from the pinned CA, naming this agent', async () => {
		const caKeys = await generateEcKeys();
		const ca = await cert({
			keys: caKeys,
			name: 'ca',
			from: new Date(Date.now() - DAY),
			to: new Date(Date.now() + DAY)
		});
		const otherCaKeys = await generateEcKeys();
		const keys = await generateEcKeys();
		const id = crypto.randomUUID();
		const issue = (o: { k?: CryptoKeyPair; by?: CryptoKeyPair; uri?: string }) =>
			cert({
				keys: o.k ?? keys,
				issuer: { keys: o.by ?? caKeys, name: 'ca' },
				name: 'agent',
				uri: o.uri ?? `${AGENT_URI_PREFIX}${id}`,
				from: new Date(Date.now() - DAY),
				to: new Date(Date.now() + DAY)
			});
		await expect(checkRenewedCertificate(await issue({}), await spki(keys), ca, id)).resolves.toBeUndefined();
		await expect(
			checkRenewedCertificate(await issue({ k: await generateEcKeys() }), await spki(keys), ca, id)
		).rejects.toThrow(/another key/);
		await expect(
			checkRenewedCertificate(await issue({ by: otherCaKeys }), await spki(keys), ca, id)
		).rejects.toThrow(/not signed by the pinned CA/);
		await expect(
			checkRenewedCertificate(
				await issue({ uri: `${AGENT_URI_PREFIX}${crypto.randomUUID()}` }),
				await spki(keys),
				ca,
				id
			)
		).rejects.toThrow(/names another agent/);
	});
});

describe('storing the new key and certificate', () => {
	const setup = () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-renew-'));
		fs.writeFileSync(path.join(dir, FILES.key), 'old key', { mode: 0o600 });
		fs.writeFileSync(path.join(dir, FILES.cert), 'old cert', { mode: 0o600 });
		const read = () => [
			fs.readFileSync(path.join(dir, FILES.key), 'utf8'),
			fs.readFileSync(path.join(dir, FILES.cert), 'utf8')
		];
		return { dir, read };
	};
	it('replaces both, private to the owner, and leaves nothing beside them', () => {
		const { dir, read } = setup();
		replaceCertificate(dir, 'new key', 'new cert');
		expect(read()).toEqual(['new key', 'new cert']);
		for (const f of [FILES.key, FILES.cert]) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
		expect(fs.readdirSync(dir).sort()).toEqual([FILES.cert, FILES.key].sort());
	});
	it('after a crash before the key was replaced, keeps the old pair (the server still takes it)', () => {
		const { dir, read } = setup();
		fs.writeFileSync(path.join(dir, FILES.cert + '.next'), 'new cert');
		fs.writeFileSync(path.join(dir, FILES.key + '.next'), 'new key');
		finishReplacement(dir);
		expect(read()).toEqual(['old key', 'old cert']);
		expect(fs.readdirSync(dir)).toHaveLength(2);
	});
	it('after a crash between the two renames, completes the new pair', () => {
		const { dir, read } = setup();
		fs.writeFileSync(path.join(dir, FILES.key), 'new key');
		fs.writeFileSync(path.join(dir, FILES.cert + '.next'), 'new cert');
		finishReplacement(dir);
		expect(read()).toEqual(['new key', 'new cert']);
		expect(fs.readdirSync(dir)).toHaveLength(2);
	});
});

describe('when the server refuses a renewal', () => {
	const now = new Date('2027-01-01T00:00:00Z');
	const row = (o: Partial<AgentRow>): AgentRow =>
		({
			id: crypto.randomUUID(),
			certFingerprint: 'AA',
			prevCertFingerprint: null,
			certRenewRequestedAt: null,
			revokedAt: null,
			enrolledAt: new Date(now.getTime() - 300 * DAY),
			certIssuedAt: null,
			certNotAfter: new Date(now.getTime() + 65 * DAY),
			...o
		}) as AgentRow;
	it('renews a due or asked-for certificate presented by its agent', () => {
		expect(renewalRefusal(row({}), 'AA', now)).toBeNull();
		expect(renewalRefusal(row({ prevCertFingerprint: 'BB' }), 'BB', now)).toBeNull();
		// An agent that never stored its new certificate renews again, though the new one is not due.
		const fresh = {
			prevCertFingerprint: 'BB',
			certIssuedAt: new Date(now.getTime() - 3600_000),
			certNotAfter: new Date(now.getTime() + 364 * DAY)
		};
		expect(renewalRefusal(row(fresh), 'BB', now)).toBeNull();
		expect(renewalRefusal(row(fresh), 'AA', now)).toMatch(/not due/);
		expect(
			renewalRefusal(
				row({ certNotAfter: new Date(now.getTime() + 300 * DAY), certRenewRequestedAt: now }),
				'AA',
				now
			)
		).toBeNull();
	});
	it('refuses a revoked agent, a certificate that is not its own, one not due, and one minutes old', () => {
		expect(renewalRefusal(row({ revokedAt: now }), 'AA', now)).toMatch(/revoked/);
		expect(renewalRefusal(row({}), 'CC', now)).toMatch(/not the agent’s current one/);
		expect(renewalRefusal(row({ certNotAfter: new Date(now.getTime() + 300 * DAY) }), 'AA', now)).toMatch(
			/not due/
		);
		expect(
			renewalRefusal(
				row({ certIssuedAt: new Date(now.getTime() - 60_000), certNotAfter: new Date(now.getTime() + DAY) }),
				'AA',
				now
			)
		).toMatch(/minutes ago/);
	});
});
