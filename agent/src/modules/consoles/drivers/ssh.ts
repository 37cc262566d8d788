// `ssh`: a login shell on a device the agent reaches, via ssh2, with the credential the server sealed for
// this agent. The host key is checked against the console's pinned fingerprint when it has one.
import crypto from 'node:crypto';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import type { ConsoleTarget } from '../../../../../src/lib/protocol/consoles';
import { loadNative } from '../native';
import { DriverError, type Driver, type DriverFactory } from './types';

type SshTarget = Extract<ConsoleTarget, { kind: 'ssh' }>;

const READY_TIMEOUT_MS = 20_000;
/** How long a "break" lasts (RFC 4335 lets the server pick; 0 would mean its default). */
const BREAK_MS = 250;

/** The fingerprint as `ssh-keygen -l` prints it, without "SHA256:" and padding. */
export function sshFingerprint(key: Buffer): string {
	return crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

const normalise = (fp: string) =>
	fp
		.trim()
		.replace(/^SHA256:/, '')
		.replace(/=+$/, '');

export const openSsh: DriverFactory<SshTarget> = async ({ target, cols, rows, secret, events }) => {
	if (!secret?.password && !secret?.privateKey)
		throw new DriverError('ssh: the console has no password or private key; set one on the console', true);
	const { Client } = await loadNative('ssh2');
	const where = `${target.username}@${target.host}:${target.port}`;
	const client = new Client();
	let seen: string | undefined;
	let mismatch = false;

	return new Promise<Driver>((resolve, reject) => {
		let stream: ClientChannel | null = null;
		let phase: 'login' | 'open' | 'over' = 'login';
		const fail = (e: DriverError) => {
			if (phase !== 'login') return;
			phase = 'over';
			client.end();
			reject(e);
		};
		const end = (reason: string) => {
			if (phase !== 'open') return;
			phase = 'over';
			client.end();
			events.end(reason);
		};
		client.on('error', (err: Error & { level?: string; code?: string }) => {
			if (phase === 'open') return end(`ssh: ${err.message}`);
			if (mismatch)
				return fail(
					new DriverError(
						`ssh: the host key of ${target.host} (SHA256:${seen}) does not match the console's pinned key; if the host was reinstalled, update the console`,
						true
					)
				);
			if (err.level === 'client-authentication')
				return fail(new DriverError(`ssh: ${where} refused the credential`, true));
			if (err.level === 'client-timeout')
				return fail(new DriverError(`ssh: no answer from ${target.host}:${target.port}`));
			fail(new DriverError(`ssh: ${describeSocketError(err, target)}`));
		});
		client.on('close', () => {
			fail(new DriverError(`ssh: ${target.host} closed the connection during login`));
			end('ssh: the connection closed');
		});
		client.on('keyboard-interactive', (_n, _i, _l, prompts, finish) =>
			finish(prompts.map(() => secret.password ?? ''))
		);
		client.on('ready', () => {
			client.shell({ term: 'xterm-256color', cols, rows }, (err, s) => {
				if (err) return fail(new DriverError(`ssh: ${target.host} refused a shell: ${err.message}`));
				if (phase !== 'login') return void s.close();
				phase = 'open';
				stream = s;
				s.on('data', (d: Buffer) => events.data(d));
				s.stderr.on('data', (d: Buffer) => events.data(d));
				s.on('exit', (code: number | null, signal?: string) =>
					end(
						signal
							? `ssh: the remote shell was killed (${signal})`
							: `ssh: the remote shell exited (code ${code})`
					)
				);
				s.on('close', () => end('ssh: the session ended'));
				resolve({
					description: `ssh: connected to ${where} (host key SHA256:${seen})`,
					hostKeySha256: seen,
					write: (data) => {
						if (phase === 'open') s.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
					},
					resize: (c, r) => {
						if (phase === 'open') s.setWindow(r, c, 0, 0);
					},
					sendBreak: () => {
						if (phase === 'open' && stream) void sendBreak(client, stream);
					},
					// A paused channel stops taking data, so ssh2 stops widening the window and the server waits.
					pause: () => {
						s.pause();
						s.stderr.pause();
					},
					resume: () => {
						s.resume();
						s.stderr.resume();
					},
					close: () => {
						phase = 'over';
						client.end();
					}
				});
			});
		});
		const cfg: ConnectConfig = {
			host: target.host,
			port: target.port,
			username: target.username,
			readyTimeout: READY_TIMEOUT_MS,
			keepaliveInterval: 15_000,
			keepaliveCountMax: 4,
			hostVerifier: (key: Buffer) => {
				seen = sshFingerprint(key);
				mismatch = !!target.hostKeySha256 && normalise(target.hostKeySha256) !== seen;
				return !mismatch;
			}
		};
		if (secret.password) {
			cfg.password = secret.password;
			cfg.tryKeyboard = true;
		}
		if (secret.privateKey) {
			cfg.privateKey = secret.privateKey;
			if (secret.passphrase) cfg.passphrase = secret.passphrase;
		}
		try {
			client.connect(cfg);
		} catch (e) {
			// ssh2 throws at once for a private key it cannot parse.
			fail(new DriverError(`ssh: ${(e as Error).message}`, true));
		}
	});
};

function describeSocketError(err: Error & { code?: string }, t: SshTarget): string {
	switch (err.code) {
		case 'ECONNREFUSED':
			return `${t.host}:${t.port} refused the connection`;
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return `cannot resolve ${t.host}`;
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return `${t.host} is unreachable`;
		default:
			return err.message;
	}
}

interface Ssh2Internals {
	_protocol?: {
		_packetRW: { write: { allocStart: number; alloc(n: number): Buffer; finalize(p: Buffer): Buffer } };
	};
}

/**
 * RFC 4335 "break" channel request. ssh2 has no method for it, so the packet is built with its own packet
 * writer and sent through its sendPacket (which queues during a key exchange), as its windowChange does.
 */
async function sendBreak(client: unknown, stream: ClientChannel): Promise<void> {
	const proto = (client as Ssh2Internals)._protocol;
	const chan = (stream as unknown as { outgoing?: { id?: number } }).outgoing?.id;
	if (!proto || chan === undefined) return;
	const utils = (await import('ssh2/lib/protocol/utils.js' as string)) as {
		sendPacket?: (proto: unknown, packet: Buffer) => void;
		default?: { sendPacket?: (proto: unknown, packet: Buffer) => void };
	};
	const send = utils.sendPacket ?? utils.default?.sendPacket;
	if (!send) return;
	const w = proto._packetRW.write;
	let p = w.allocStart;
	const packet = w.alloc(1 + 4 + 4 + 5 + 1 + 4);
	packet[p] = 98; // SSH_MSG_CHANNEL_REQUEST
	packet.writeUInt32BE(chan, ++p);
	packet.writeUInt32BE(5, (p += 4));
	packet.write('break', (p += 4), 5, 'utf8');
	packet[(p += 5)] = 0; // no reply wanted
	packet.writeUInt32BE(BREAK_MS, ++p);
	send(proto, w.finalize(packet));
}
