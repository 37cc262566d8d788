// `shell`: a PTY on this host (node-pty). As root, a shell for another user starts through setpriv, which
// also resets the supplementary groups (node-pty's own uid/gid switch would keep root's).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
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
	// The agent holds the PTY's slave side open too. Without it, the kernel may report the end of the PTY (EIO)
	// to the reader as soon as the program closes its side, before the last output it wrote was passed on, and
	// that output is lost ("cat file; exit"). Held, the master reads to the end; it is released at the exit.
	let slave: number | null = null;
	const ptyPath = (p as unknown as { _pty?: unknown })._pty;
	if (typeof ptyPath === 'string' && ptyPath.startsWith('/dev/'))
		try {
			slave = fs.openSync(ptyPath, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
		} catch {
			slave = null; // the output of a program that exits at once may then lose its end
		}
	const releaseSlave = () => {
		if (slave === null) return;
		try {
			fs.closeSync(slave);
		} catch {
			// already closed
		}
		slave = null;
	};
	let closed = false;
	let exited = false;
	let paused = false;
	/** The program is gone: the PTY is read to its end whatever the pipe holds. */
	let draining = false;
	let watch: NodeJS.Timeout | null = null;
	const unwatch = () => {
		if (watch) clearInterval(watch);
		watch = null;
	};
	// node-pty destroys the PTY 200 ms after its program exits unless it was read to its end by then, and what
	// was still in it would be lost. So while paused, the program is watched (node-pty reaps it before it
	// starts that timer): once it is gone, the rest is read; it is at most what the PTY buffers.
	const programGone = () => {
		try {
			process.kill(p.pid, 0);
			return false;
		} catch (e) {
			return (e as NodeJS.ErrnoException).code === 'ESRCH';
		}
	};
	/**
	 * Reads what is left at once, before node-pty's timer can destroy the PTY: a starved event loop runs this
	 * watch and that timer in the same turn, so a read left to the loop would come too late. First what the
	 * paused stream holds (read() hands it to the data listener), then the kernel's buffer (the master is
	 * non-blocking: EAGAIN when it is empty).
	 */
	const drainNow = () => {
		const inner = p as unknown as { _socket?: Readable; fd?: number };
		const sock = inner._socket;
		while (sock && sock.readableLength > 0 && sock.read() !== null);
		if (typeof inner.fd !== 'number') return;
		const buf = Buffer.allocUnsafe(64 * 1024);
		for (;;) {
			let n = 0;
			try {
				n = fs.readSync(inner.fd, buf, 0, buf.length, null);
			} catch {
				return; // EAGAIN (empty) or EIO (closed)
			}
			if (n <= 0) return;
			events.data(Buffer.from(buf.subarray(0, n)));
		}
	};
	p.onData((d) => events.data(typeof d === 'string' ? Buffer.from(d) : (d as Buffer)));
	p.onExit(({ exitCode, signal }) => {
		exited = true;
		releaseSlave();
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
		// node-pty stops reading the PTY's master: once the kernel's buffer is full, the program's writes block.
		pause: () => {
			if (closed || paused || draining || exited) return;
			paused = true;
			p.pause();
			watch = setInterval(() => {
				if (!programGone()) return;
				draining = true;
				paused = false;
				unwatch();
				if (closed) return;
				drainNow();
				p.resume();
			}, 10);
			watch.unref();
		},
		resume: () => {
			if (!paused) return;
			paused = false;
			unwatch();
			if (!closed) p.resume();
		},
		close: () => {
			unwatch();
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
			setTimeout(releaseSlave, 5000).unref();
		}
	};
	return driver;
};
