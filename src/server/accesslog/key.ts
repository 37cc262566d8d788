// The key of the records' and heads' MACs, derived from the master key: whoever can write the database but
// lacks FLEETDESK_SECRET (or the data dir's secret.key) cannot forge a MAC, so cutting or rewriting shows.
import crypto from 'node:crypto';
import { masterKey, type MasterKey } from '../agents/secret';
import { hasRuntime, runtime } from '../runtime';

let override: { mac: Buffer; sealing: MasterKey } | null = null;
const derived = new WeakMap<Buffer, Buffer>();

function derive(material: Buffer): Buffer {
	let k = derived.get(material);
	if (!k) {
		k = Buffer.from(crypto.hkdfSync('sha256', material, 'fleetdesk', 'access log chain v1', 32));
		derived.set(material, k);
	}
	return k;
}

/** For tests and tools that run without the server's runtime: the master key material to derive from. */
export function setAccessLogMasterKey(material: Buffer | null): void {
	if (!material) {
		override = null;
		return;
	}
	const key = Buffer.from(crypto.hkdfSync('sha256', material, 'fleetdesk', 'private keys at rest v1', 32));
	const id = `test:${crypto.createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
	override = { mac: derive(key), sealing: { key, id } };
}

function needRuntime(): void {
	if (!hasRuntime())
		throw new Error('The access log needs the master key: start the Fleetdesk services first.');
}

export function accessLogKey(): Buffer {
	if (override) return override.mac;
	needRuntime();
	return derive(masterKey(runtime().config).key);
}

/** The master key that seals forwarder tokens at rest. */
export function sealingKey(): MasterKey {
	if (override) return override.sealing;
	needRuntime();
	return masterKey(runtime().config);
}
