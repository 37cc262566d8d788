// A real OpenSSH server on loopback for the ssh console tests: /usr/sbin/sshd -D -E LOG with its own config,
// host key, authorized_keys and client keys, on a free port, as the current user. As root it also makes a
// local user with a password (once per host; the password is kept in ~/.fleetdesk-sshtest-password), so
// password logins can be tested; otherwise only key logins.
//
//   const sshd = await startSshd();   // { host, port, user, key, keyWithPassphrase, otherKey, hostKeySha256, password, log(), stop() }
//   ... ssh target { host: sshd.host, port: sshd.port, username: sshd.user, hostKeySha256: sshd.hostKeySha256 }
//   await sshd.stop();
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';
/** The local user for password logins (made only when the tests run as root). */
export const SSH_PASSWORD_USER = 'fleetdesk-sshtest';

export interface SshKey {
	/** OpenSSH private key, as ssh2 and the console vault take it. */
	privateKey: string;
	publicKey: string;
	passphrase?: string;
}

export interface Sshd {
	host: '127.0.0.1';
	port: number;
	/** The user key logins are for: the user running the tests. */
	user: string;
	/** An unencrypted client key in authorized_keys. */
	key: SshKey;
	/** A passphrase-protected client key in authorized_keys. */
	keyWithPassphrase: SshKey & { passphrase: string };
	/** A key that is NOT authorized (for refusal tests). */
	otherKey: SshKey;
	/** The host key's SHA-256 fingerprint, base64 without padding or "SHA256:" (the console's hostKeySha256). */
	hostKeySha256: string;
	/** Password login (only when running as root): a local user with a known password. */
	password: { user: string; password: string } | null;
	/** What sshd logged so far (LogLevel DEBUG1: one line per channel request, e.g. "request break"). */
	log(): string;
	stop(): Promise<void>;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as net.AddressInfo).port;
			s.close(() => resolve(port));
		});
	});
}

function keygen(file: string, type: 'ed25519' | 'rsa', passphrase = ''): SshKey {
	execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'fleetdesk-test', '-f', file]);
	return {
		privateKey: fs.readFileSync(file, 'utf8'),
		publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim(),
		...(passphrase ? { passphrase } : {})
	};
}

/** SHA-256 of the key blob in an OpenSSH public key line, as `ssh-keygen -l` prints it. */
export function publicKeySha256(line: string): string {
	const blob = Buffer.from(line.trim().split(/\s+/)[1], 'base64');
	return crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * The password user, made once per host. Its random password is kept in a root-only file, so test processes
 * running at the same time agree on it (each one setting its own would break the others' logins).
 */
function ensurePasswordUser(): { user: string; password: string } | null {
	if (process.getuid?.() !== 0) return null;
	const exists = () => {
		try {
			execFileSync('id', [SSH_PASSWORD_USER], { stdio: 'ignore' });
			return true;
		} catch {
			return false;
		}
	};
	if (!exists()) {
		try {
			execFileSync('useradd', ['-m', '-s', '/bin/sh', SSH_PASSWORD_USER], { stdio: 'ignore' });
		} catch (e) {
			// Another test process made it first.
			if (!exists()) throw e;
		}
	}
	const file = path.join(os.homedir(), '.fleetdesk-sshtest-password');
	if (!fs.existsSync(file)) {
		// Written aside, then linked into place: a reader never sees a half-written file.
		const tmp = `${file}.${process.pid}`;
		fs.writeFileSync(tmp, `pw-${crypto.randomBytes(12).toString('base64url')}`, { mode: 0o600 });
		try {
			fs.linkSync(tmp, file);
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
		} finally {
			fs.rmSync(tmp, { force: true });
		}
	}
	const password = fs.readFileSync(file, 'utf8').trim();
	execFileSync('chpasswd', [], { input: `${SSH_PASSWORD_USER}:${password}\n` });
	return { user: SSH_PASSWORD_USER, password };
}

export async function startSshd(): Promise<Sshd> {
	if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server`);
	const root = process.getuid?.() === 0;
	// As root, sshd needs its privilege-separation directory (the openssh-server service makes it at boot).
	if (root) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-sshd-'));
	const host = keygen(path.join(dir, 'host_ed25519'), 'ed25519');
	const key = keygen(path.join(dir, 'client'), 'ed25519');
	const keyWithPassphrase = keygen(path.join(dir, 'client_pp'), 'ed25519', 'correct horse') as SshKey & {
		passphrase: string;
	};
	const otherKey = keygen(path.join(dir, 'other'), 'ed25519');
	fs.writeFileSync(path.join(dir, 'authorized_keys'), `${key.publicKey}\n${keyWithPassphrase.publicKey}\n`, {
		mode: 0o600
	});
	const password = ensurePasswordUser();
	const port = await freePort();
	const config = [
		`Port ${port}`,
		'ListenAddress 127.0.0.1',
		`HostKey ${path.join(dir, 'host_ed25519')}`,
		`PidFile ${path.join(dir, 'sshd.pid')}`,
		`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
		// The key files sit under /tmp, which StrictModes would refuse.
		'StrictModes no',
		'UsePAM no',
		`PasswordAuthentication ${password ? 'yes' : 'no'}`,
		'KbdInteractiveAuthentication no',
		'PermitRootLogin prohibit-password',
		'PrintMotd no',
		'PrintLastLog no',
		'LogLevel DEBUG1',
		'MaxStartups 50'
	].join('\n');
	const configFile = path.join(dir, 'sshd_config');
	fs.writeFileSync(configFile, config + '\n');

	// -E, not -e: with -e the session processes would write their debug lines into the users' terminals.
	const logFile = path.join(dir, 'sshd.log');
	const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
	const child: ChildProcess = spawn(SSHD, ['-D', '-E', logFile, '-f', configFile], { stdio: 'ignore' });
	await new Promise<void>((resolve, reject) => {
		const started = Date.now();
		const poll = setInterval(() => {
			if (/Server listening on 127\.0\.0\.1 port/.test(log())) {
				clearInterval(poll);
				resolve();
			} else if (child.exitCode !== null || Date.now() - started > 10_000) {
				clearInterval(poll);
				reject(new Error(`sshd did not start (exit ${child.exitCode}):\n${log()}`));
			}
		}, 20);
	});

	return {
		host: '127.0.0.1',
		port,
		user: os.userInfo().username,
		key,
		keyWithPassphrase,
		otherKey,
		hostKeySha256: publicKeySha256(host.publicKey),
		password,
		log,
		stop: () =>
			new Promise<void>((resolve) => {
				const done = () => {
					fs.rmSync(dir, { recursive: true, force: true });
					resolve();
				};
				if (child.exitCode !== null || child.signalCode !== null) return done();
				child.once('exit', done);
				child.kill('SIGTERM');
			})
	};
}
