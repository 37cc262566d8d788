// The agent's identity on disk: its private key (never leaves this host), its certificate, the CA and the
// task-signing public key pinned at enrolment. Directory 0700, files 0600.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FILES = {
	key: 'agent.key',
	cert: 'agent.crt',
	ca: 'ca.crt',
	signingKey: 'task-signing.pub',
	identity: 'identity.json'
} as const;

export interface IdentityInfo {
	agentId: string;
	/** The gateway URL given at enrolment, e.g. https://fleetdesk.example.com:8443 */
	server: string;
	deviceName: string;
	enrolledAt: string;
}

export interface Identity extends IdentityInfo {
	dir: string;
	key: string;
	cert: string;
	ca: string;
	signingKey: string;
	/** The key a certificate renewal replaced in this run: secrets sealed just before it still open. */
	previousKey?: string;
}

export function defaultDir(): string {
	return process.getuid?.() === 0 ? '/var/lib/fleetdesk-agent' : path.join(os.homedir(), '.fleetdesk-agent');
}

export function hasIdentity(dir: string): boolean {
	return fs.existsSync(path.join(dir, FILES.identity));
}

/** Writes a file with mode 0600 atomically: a crash never leaves half a key behind. */
function writePrivate(file: string, data: string): void {
	const tmp = `${file}.${process.pid}.tmp`;
	writeSynced(tmp, data);
	fs.renameSync(tmp, file);
}

function writeSynced(file: string, data: string): void {
	const fd = fs.openSync(file, 'w', 0o600);
	try {
		fs.writeFileSync(fd, data);
		fs.fchmodSync(fd, 0o600);
		fs.fsyncSync(fd);
	} finally {
		fs.closeSync(fd);
	}
}

const NEXT = '.next';

/**
 * Replaces the key and certificate after a renewal, so that a crash at any point leaves a matching pair:
 * both are written beside the old ones first, then the key and then the certificate are renamed over them.
 * `finishReplacement` (run by loadIdentity) completes or discards a replacement a crash interrupted.
 */
export function replaceCertificate(dir: string, key: string, cert: string): void {
	const k = path.join(dir, FILES.key);
	const c = path.join(dir, FILES.cert);
	writeSynced(c + NEXT, cert);
	writeSynced(k + NEXT, key);
	fs.renameSync(k + NEXT, k);
	fs.renameSync(c + NEXT, c);
}

/**
 * After a crash in replaceCertificate: a new key still beside the old one means nothing was replaced (the
 * server accepts the old certificate until the new one is used), so the new pair is dropped; a new
 * certificate alone means the key was already replaced, so the certificate follows.
 */
export function finishReplacement(dir: string): void {
	const k = path.join(dir, FILES.key);
	const c = path.join(dir, FILES.cert);
	if (fs.existsSync(k + NEXT)) {
		fs.rmSync(k + NEXT, { force: true });
		fs.rmSync(c + NEXT, { force: true });
	} else if (fs.existsSync(c + NEXT)) fs.renameSync(c + NEXT, c);
}

export function saveIdentity(dir: string, id: Omit<Identity, 'dir'>): void {
	fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
	fs.chmodSync(dir, 0o700);
	writePrivate(path.join(dir, FILES.key), id.key);
	writePrivate(path.join(dir, FILES.cert), id.cert);
	writePrivate(path.join(dir, FILES.ca), id.ca);
	writePrivate(path.join(dir, FILES.signingKey), id.signingKey);
	const info: IdentityInfo = {
		agentId: id.agentId,
		server: id.server,
		deviceName: id.deviceName,
		enrolledAt: id.enrolledAt
	};
	// Written last: its presence means the identity is complete.
	writePrivate(path.join(dir, FILES.identity), JSON.stringify(info, null, 2) + '\n');
}

export function loadIdentity(dir: string): Identity {
	if (!hasIdentity(dir))
		throw new Error(
			`${dir} holds no agent identity: enrol first with \`fleetdesk-agent enroll --server URL --token TOKEN\`.`
		);
	finishReplacement(dir);
	const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
	const keyMode = fs.statSync(path.join(dir, FILES.key)).mode & 0o077;
	if (keyMode)
		throw new Error(
			`${path.join(dir, FILES.key)} is readable by others: chmod 600 it (and check who read it).`
		);
	const info = JSON.parse(read(FILES.identity)) as IdentityInfo;
	return {
		...info,
		dir,
		key: read(FILES.key),
		cert: read(FILES.cert),
		ca: read(FILES.ca),
		signingKey: read(FILES.signingKey)
	};
}
