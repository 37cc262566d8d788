// Fleetdesk's own CA, the task-signing key and the gateway certificate. Created on first start, kept in the
// database (pki_keys), private keys sealed with the master key (secret.ts).
import crypto, { type KeyObject } from 'node:crypto';
import net from 'node:net';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { pkiKeys } from '../db/schema';
import type { Config } from '../env';
import { UserError } from '../errors';
import { AGENT_URI_PREFIX } from '../../lib/protocol/agent';
import { masterKey, seal, unseal } from './secret';
import {
	EC_ALG,
	exportPkcs8,
	fingerprint256,
	generateEcKeys,
	importEcPrivateKey,
	pkcs8Pem,
	randomSerial,
	spkiPin,
	x509
} from './x509';

type KeyConfig = Pick<Config, 'secret' | 'dataDir'>;
type Row = typeof pkiKeys.$inferSelect;

const CA = 'ca';
const SIGNING = 'task-signing';
const DAY = 86_400_000;
const CA_DAYS = 3650;
const AGENT_CERT_DAYS = 365;
const GATEWAY_CERT_DAYS = 365;
/** A gateway certificate this close to its end is replaced at start-up (and by the daily check). */
const GATEWAY_RENEW_DAYS = 30;
// Clocks drift: certificates are valid from a few minutes before they are made.
const BACKDATE_MS = 5 * 60_000;

/** PEM with exactly one trailing newline, so certificates concatenate into a valid chain. */
function pemOf(c: { toString(f: 'pem'): string }): string {
	return c.toString('pem').trim() + '\n';
}

function tx<T>(db: Db, fn: (t: Db) => Promise<T>): Promise<T> {
	return db.transaction(async (t) => fn(t as unknown as Db));
}

async function rowOf(db: Db, name: string): Promise<Row | undefined> {
	const [r] = await db.select().from(pkiKeys).where(eq(pkiKeys.name, name));
	return r;
}

/** Creates the CA and the task-signing key if this is the first start. Safe with several nodes starting at once. */
export async function ensurePki(db: Db, config: KeyConfig): Promise<void> {
	if ((await rowOf(db, CA)) && (await rowOf(db, SIGNING))) return;
	const mk = masterKey(config);
	await tx(db, async (t) => {
		await t.execute(sql`select pg_advisory_xact_lock(hashtext('fleetdesk.pki'))`);
		if (!(await rowOf(t, CA))) {
			const keys = await generateEcKeys();
			const now = Date.now();
			const cert = await x509.X509CertificateGenerator.createSelfSigned({
				serialNumber: randomSerial(),
				name: `CN=Fleetdesk CA ${crypto.randomBytes(4).toString('hex')}, O=Fleetdesk`,
				notBefore: new Date(now - BACKDATE_MS),
				notAfter: new Date(now + CA_DAYS * DAY),
				keys,
				signingAlgorithm: EC_ALG,
				extensions: [
					new x509.BasicConstraintsExtension(true, 0, true),
					new x509.KeyUsagesExtension(
						x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
						true
					),
					await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
				]
			});
			const pem = pemOf(cert);
			await t.insert(pkiKeys).values({
				name: CA,
				certificate: pem,
				publicKey: pemOf(cert.publicKey),
				privateKey: seal(mk, await exportPkcs8(keys.privateKey), CA),
				keyId: mk.id,
				notAfter: cert.notAfter
			});
		}
		if (!(await rowOf(t, SIGNING))) {
			const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
			await t.insert(pkiKeys).values({
				name: SIGNING,
				publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
				privateKey: seal(mk, privateKey.export({ type: 'pkcs8', format: 'der' }), SIGNING),
				keyId: mk.id
			});
		}
	});
}

export interface CaInfo {
	pem: string;
	cert: x509.X509Certificate;
	/** base64url SHA-256 of the SPKI, as carried in join tokens. */
	pin: string;
}

/** The CA certificate (no private key needed: the CLI's `token create` uses this). */
export async function caInfo(db: Db, config: KeyConfig): Promise<CaInfo> {
	await ensurePki(db, config);
	const r = (await rowOf(db, CA))!;
	return {
		pem: r.certificate!,
		cert: new x509.X509Certificate(r.certificate!),
		pin: spkiPin(r.certificate!)
	};
}

const caKeyCache = new Map<string, Promise<CryptoKey>>();

async function caSigner(db: Db, config: KeyConfig): Promise<CaInfo & { key: CryptoKey }> {
	const ca = await caInfo(db, config);
	const r = (await rowOf(db, CA))!;
	let key = caKeyCache.get(r.privateKey);
	if (!key) {
		key = importEcPrivateKey(unseal(masterKey(config), r.privateKey, CA, r.keyId));
		caKeyCache.set(r.privateKey, key);
		key.catch(() => caKeyCache.delete(r.privateKey));
	}
	return { ...ca, key: await key };
}

export interface TaskSigningKey {
	privateKey: KeyObject;
	publicKey: KeyObject;
	publicKeyPem: string;
}

/** The Ed25519 key every task envelope is signed with; agents pin the public half at enrolment. */
export async function taskSigningKey(rt: { db: Db; config: KeyConfig }): Promise<TaskSigningKey> {
	await ensurePki(rt.db, rt.config);
	const r = (await rowOf(rt.db, SIGNING))!;
	const der = unseal(masterKey(rt.config), r.privateKey, SIGNING, r.keyId);
	return {
		privateKey: crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
		publicKey: crypto.createPublicKey(r.publicKey),
		publicKeyPem: r.publicKey
	};
}

export async function taskSigningPublicKeyPem(db: Db, config: KeyConfig): Promise<string> {
	await ensurePki(db, config);
	return (await rowOf(db, SIGNING))!.publicKey;
}

export interface IssuedCert {
	pem: string;
	serial: string;
	fingerprint: string;
	notAfter: Date;
}

/**
 * Issues an agent's client certificate from its CSR. Only the CSR's public key is used (after checking the
 * CSR's signature, i.e. that the agent holds the private key); the identity comes from `agentId`.
 */
export async function issueAgentCertificate(
	db: Db,
	config: KeyConfig,
	csrPem: string,
	agentId: string
): Promise<IssuedCert> {
	let csr: x509.Pkcs10CertificateRequest;
	try {
		csr = new x509.Pkcs10CertificateRequest(csrPem);
	} catch {
		throw new UserError('The certificate request is not a PEM PKCS#10 request.');
	}
	const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
	if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256')
		throw new UserError('The certificate request must be for an ECDSA P-256 key.');
	if (!(await csr.verify())) throw new UserError('The certificate request’s signature does not verify.');
	const ca = await caSigner(db, config);
	const uri = `${AGENT_URI_PREFIX}${agentId}`;
	const now = Date.now();
	const serial = randomSerial();
	const cert = await x509.X509CertificateGenerator.create({
		serialNumber: serial,
		subject: `CN=${uri}`,
		issuer: ca.cert.subject,
		notBefore: new Date(now - BACKDATE_MS),
		notAfter: new Date(now + AGENT_CERT_DAYS * DAY),
		signingKey: ca.key,
		publicKey: await csr.publicKey.export(EC_ALG, ['verify']),
		signingAlgorithm: EC_ALG,
		extensions: [
			new x509.BasicConstraintsExtension(false, undefined, true),
			new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
			new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
			new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }]),
			await x509.AuthorityKeyIdentifierExtension.create(ca.cert)
		]
	});
	const pem = pemOf(cert);
	return { pem, serial, fingerprint: fingerprint256(pem), notAfter: cert.notAfter };
}

export interface GatewayCredentials {
	key: string;
	/** The gateway certificate followed by the CA certificate: agents verify the chain against their pin. */
	chain: string;
	ca: string;
	notAfter: Date;
	names: string[];
}

const sameNames = (a: string[], b: string[]) => [...a].sort().join(',') === [...b].sort().join(',');

/**
 * This node's gateway certificate for `names` (host names and IP addresses), issued by the CA; a new one
 * is made when the names change, the CA changed, or it is within 30 days of its end.
 */
export async function gatewayCredentials(
	db: Db,
	config: KeyConfig,
	nodeId: string,
	names: string[]
): Promise<GatewayCredentials> {
	const ca = await caSigner(db, config);
	const label = `gateway:${nodeId}`;
	const mk = masterKey(config);
	const r = await rowOf(db, label);
	const fresh =
		r?.certificate &&
		r.keyId === mk.id &&
		sameNames(r.names, names) &&
		r.notAfter &&
		r.notAfter.getTime() - Date.now() > GATEWAY_RENEW_DAYS * DAY &&
		new crypto.X509Certificate(r.certificate).checkIssued(new crypto.X509Certificate(ca.pem));
	if (fresh) {
		const der = unseal(mk, r.privateKey, label, r.keyId);
		return { key: pkcs8Pem(der), chain: r.certificate! + ca.pem, ca: ca.pem, notAfter: r.notAfter!, names };
	}
	const keys = await generateEcKeys();
	const now = Date.now();
	const cert = await x509.X509CertificateGenerator.create({
		serialNumber: randomSerial(),
		subject: `CN=${names[0] ?? 'fleetdesk'}, O=Fleetdesk agent gateway`,
		issuer: ca.cert.subject,
		notBefore: new Date(now - BACKDATE_MS),
		notAfter: new Date(now + GATEWAY_CERT_DAYS * DAY),
		signingKey: ca.key,
		publicKey: keys.publicKey,
		signingAlgorithm: EC_ALG,
		extensions: [
			new x509.BasicConstraintsExtension(false, undefined, true),
			new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
			new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
			new x509.SubjectAlternativeNameExtension(
				names.map((n) =>
					net.isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }
				)
			),
			await x509.AuthorityKeyIdentifierExtension.create(ca.cert)
		]
	});
	const pem = pemOf(cert);
	const der = await exportPkcs8(keys.privateKey);
	const values = {
		certificate: pem,
		publicKey: pemOf(cert.publicKey),
		privateKey: seal(mk, der, label),
		keyId: mk.id,
		names,
		notAfter: cert.notAfter
	};
	await db
		.insert(pkiKeys)
		.values({ name: label, ...values })
		.onConflictDoUpdate({ target: pkiKeys.name, set: values });
	return { key: pkcs8Pem(der), chain: pem + ca.pem, ca: ca.pem, notAfter: cert.notAfter, names };
}
