// The master key that seals private keys at rest (AES-256-GCM). From FLEETDESK_SECRET when set (required
// when several nodes share one PostgreSQL), else a random key file FLEETDESK_DATA_DIR/secret.key (0600).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../env';

export interface MasterKey {
	key: Buffer;
	/** Names the key without revealing it, so a wrong key gives a clear error instead of a GCM failure. */
	id: string;
}

const cache = new Map<string, MasterKey>();

function fromMaterial(material: Buffer, source: string): MasterKey {
	const key = Buffer.from(crypto.hkdfSync('sha256', material, 'fleetdesk', 'private keys at rest v1', 32));
	const id = `${source}:${crypto.createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
	return { key, id };
}

export function secretKeyFile(dataDir: string): string {
	return path.join(dataDir, 'secret.key');
}

export function masterKey(config: Pick<Config, 'secret' | 'dataDir'>): MasterKey {
	const cacheKey = config.secret ? `env:${config.secret}` : `file:${config.dataDir}`;
	const hit = cache.get(cacheKey);
	if (hit) return hit;
	let mk: MasterKey;
	if (config.secret) {
		mk = fromMaterial(Buffer.from(config.secret, 'utf8'), 'env');
	} else {
		const file = secretKeyFile(config.dataDir);
		fs.mkdirSync(config.dataDir, { recursive: true });
		try {
			// 'wx': two processes starting at once cannot both write a key; the loser reads the winner's.
			fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
		}
		const material = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
		if (material.length < 32)
			throw new Error(`${file} is damaged (expected 32 random bytes, base64). Restore it from a backup.`);
		mk = fromMaterial(material, 'file');
	}
	cache.set(cacheKey, mk);
	return mk;
}

/** Seals `plain`; `label` (the key's name) is authenticated, so a sealed key cannot be moved to another row. */
export function seal(mk: MasterKey, plain: Buffer, label: string): string {
	const iv = crypto.randomBytes(12);
	const c = crypto.createCipheriv('aes-256-gcm', mk.key, iv);
	c.setAAD(Buffer.from(label));
	const ct = Buffer.concat([c.update(plain), c.final()]);
	return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

export function unseal(mk: MasterKey, sealed: string, label: string, sealedWith: string): Buffer {
	if (sealedWith !== mk.id)
		throw new Error(
			`The private key "${label}" was sealed with master key ${sealedWith}, but this node has ${mk.id}. ` +
				'Give every node the same FLEETDESK_SECRET (or, on one node, the original FLEETDESK_DATA_DIR/secret.key).'
		);
	const [v, iv, tag, ct] = sealed.split('.');
	if (v !== 'v1' || !iv || !tag || ct === undefined)
		throw new Error(`The private key "${label}" is damaged.`);
	const d = crypto.createDecipheriv('aes-256-gcm', mk.key, Buffer.from(iv, 'base64'));
	d.setAAD(Buffer.from(label));
	d.setAuthTag(Buffer.from(tag, 'base64'));
	try {
		return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]);
	} catch {
		throw new Error(
			`The private key "${label}" does not decrypt with this node's master key: it is damaged.`
		);
	}
}
