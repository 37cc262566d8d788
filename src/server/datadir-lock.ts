import fs from 'node:fs';
import path from 'node:path';

/** PGlite must never be opened by two processes: whoever opens the data dir holds this lock file. */
export function lockPath(dataDir: string): string {
	return path.join(dataDir, 'fleetdesk.lock');
}

export function adminSocketPath(dataDir: string): string {
	return path.join(dataDir, 'fleetdesk.sock');
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** The pid holding the data dir, or null when nobody (or a dead process) holds it. */
export function lockHolder(dataDir: string): number | null {
	try {
		const pid = Number(fs.readFileSync(lockPath(dataDir), 'utf8').trim());
		return pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
	} catch {
		return null;
	}
}

/** Takes the data dir for this process, or throws naming the process that holds it. */
export function acquireLock(dataDir: string): () => void {
	fs.mkdirSync(dataDir, { recursive: true });
	const file = lockPath(dataDir);
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
			let released = false;
			const release = () => {
				if (released) return;
				released = true;
				try {
					if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
				} catch {
					/* already gone */
				}
			};
			process.once('exit', release);
			return release;
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
			const holder = lockHolder(dataDir);
			if (holder)
				throw new Error(
					`The data directory ${dataDir} is in use by process ${holder} (a running Fleetdesk server?).`
				);
			fs.rmSync(file, { force: true }); // stale lock from a process that died
		}
	}
	throw new Error(`Could not lock the data directory ${dataDir}.`);
}
