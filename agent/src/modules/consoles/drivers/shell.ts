// `shell`: a PTY on this host (node-pty). As root, a shell for another user starts through setpriv, which
// also resets the supplementary groups (node-pty's own uid/gid switch would keep root's).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { IPty } from 'node-pty';
import type { ConsoleTarget } from '../../../../../src/lib/protocol/consoles';
import { loadNative } from '../native';
import { currentUser, PolicyError, shellUser } from '../policy';
import { DriverError, type Driver, type DriverFactory } from './types';

type ShellTarget = Extract<ConsoleTarget, { kind: 'shell' }>;

export interface Account {
	name: string;
	uid: number;
	gid: number;
	home: string;
	shell: string;
}

/** The passwd entry of a user through NSS (so LDAP and sssd users count), or null. */
export function lookupAccount(name: string): Promise<Account | null> {
	return new Promise((resolve) => {
		execFile('getent', ['passwd', name], { timeout: 10_000 }, (err, stdout) => {
			const f = err ? [] : stdout.trim().split('\n')[0].split(':');
			if (f.length < 7) return resolve(null);
			resolve({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] || '/bin/sh' });
		});
	});
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'];
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const openShell: DriverFactory<ShellTarget> = async ({ target, cols, rows, cfg, events }) => {
	const self = currentUser();
	let name: string;
	try {
		name = shellUser(target, cfg, self);
	} catch (e) {
		throw new DriverError((e as PolicyError).message, true);
	}
	const account = await lookupAccount(name);
	if (!account) throw new DriverError(`shell: there is no user ${name} on this host`, true);
	const program = target.command ?? account.shell;
	const args = target.args ?? (target.command ? [] : ['-l']);
	let file = program;
	let argv = args;
	if (account.uid !== self.uid) {
		const setpriv = SETPRIV.find((p) => fs.existsSync(p));
		if (!setpriv)
			throw new DriverError('shell: setpriv (util-linux) is needed to start a shell as another user', true);
		file = setpriv;
		argv = [
			'--reuid',
			String(account.uid),
			'--regid',
			String(account.gid),
			'--init-groups',
			'--',
			program,
			...args
		];
	}
	const pty = await loadNative('node-pty');
	let p: IPty;
	try {
		p = pty.spawn(file, argv, {
			name: 'xterm-256color',
			cols,
			rows,
			cwd: fs.existsSync(account.home) ? account.home : '/',
			encoding: null,
			env: {
				HOME: account.home,
				USER: account.name,
				LOGNAME: account.name,
				SHELL: account.shell,
				PATH,
				TERM: 'xterm-256color',
				LANG: process.env.LANG ?? 'C.UTF-8'
			}
		});
	} catch (e) {
		throw new DriverError(`shell: cannot start ${program}: ${(e as Error).message}`);
	}
	let closed = false;
	let exited = false;
	p.onData((d) => events.data(typeof d === 'string' ? Buffer.from(d) : (d as Buffer)));
	p.onExit(({ exitCode, signal }) => {
		exited = true;
		if (closed) return;
		closed = true;
		events.end(signal ? `the shell was killed (signal ${signal})` : `the shell exited (code ${exitCode})`);
	});
	const driver: Driver = {
		description: `shell: ${program} as ${account.name}`,
		write: (data) => {
			if (!closed) p.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
		},
		resize: (c, r) => {
			if (!closed) p.resize(c, r);
		},
		sendBreak: () => {},
		close: () => {
			if (closed) return;
			closed = true;
			const kill = (sig: string) => {
				if (exited) return;
				try {
					p.kill(sig);
				} catch {
					// Already gone.
				}
			};
			kill('SIGHUP');
			// A program that ignores the hang-up does not keep the PTY (and the user's session) alive.
			setTimeout(() => kill('SIGKILL'), 3000).unref();
		}
	};
	return driver;
};
