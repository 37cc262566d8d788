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
	fs.writeFileSync(tmp, data, { mode: 0o600 });
	fs.chmodSync(tmp, 0o600);
	fs.renameSync(tmp, file);
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
