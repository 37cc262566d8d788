// The changed-file watch: every few seconds the agent looks at each watched file (a `*` or `?` in the file
// name covers a directory's files) and compares existence, size, mtime, mode and owner with what it saw
// before; the content's SHA-256 is recomputed whenever the inode's change time moves (which no one can set
// back), so an edit that keeps size and mtime is still caught. Any difference is a `file-change` report
// (buffered, delivered once). What it saw is kept on disk, so changes made while the agent was stopped are
// reported when it starts again. A path seen for the first time is the baseline, not a change.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FileState } from '../../../../src/lib/protocol/logs';
import { globToRegExp } from './allow';

/** Larger files are watched by their metadata only (hashing them every change would cost too much). */
const MAX_HASH_BYTES = 64 * 1024 * 1024;

interface Seen extends FileState {
	/** Inode change time and inode: when both are unchanged the stored hash still holds. */
	ctimeMs: number | null;
	ino: number | null;
}

export interface Change {
	path: string;
	before: FileState | null;
	after: FileState;
	changed: string[];
}

const FIELDS = ['exists', 'size', 'sha256', 'mtime', 'mode', 'uid', 'gid'] as const;

function publicState(s: Seen): FileState {
	return {
		exists: s.exists,
		size: s.size,
		sha256: s.sha256,
		mtime: s.mtime,
		mode: s.mode,
		uid: s.uid,
		gid: s.gid
	};
}

async function sha256(file: string): Promise<string | null> {
	try {
		const h = createHash('sha256');
		for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
		return h.digest('hex');
	} catch {
		return null; // unreadable (not root): watched by its metadata
	}
}

const GONE: Seen = {
	exists: false,
	size: null,
	sha256: null,
	mtime: null,
	mode: null,
	uid: null,
	gid: null,
	ctimeMs: null,
	ino: null
};

async function look(file: string, prev: Seen | undefined): Promise<Seen> {
	let st: fs.Stats;
	try {
		st = await fsp.stat(file);
	} catch {
		return GONE;
	}
	if (!st.isFile()) return GONE;
	const same = prev?.exists && prev.ctimeMs === st.ctimeMs && prev.ino === st.ino && prev.size === st.size;
	return {
		exists: true,
		size: st.size,
		sha256: same ? prev.sha256 : st.size <= MAX_HASH_BYTES ? await sha256(file) : null,
		mtime: st.mtime.toISOString(),
		mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
		uid: st.uid,
		gid: st.gid,
		ctimeMs: st.ctimeMs,
		ino: st.ino
	};
}

/** The files a watch entry names now: itself, or the directory's entries matching its file-name glob. */
async function expand(entry: string): Promise<string[]> {
	const name = path.posix.basename(entry);
	if (!/[*?[]/.test(name)) return [entry];
	const dir = path.posix.dirname(entry);
	const re = globToRegExp(name);
	const names = await fsp.readdir(dir).catch(() => [] as string[]);
	return names.filter((n) => re.test(n)).map((n) => path.posix.join(dir, n));
}

export class FileWatch {
	private seen = new Map<string, Seen>();
	/** Entries that had their first look: a file a glob names after that is new, not the baseline. */
	private baselined = new Set<string>();
	private entries: string[] = [];
	private timer: NodeJS.Timeout | null = null;

	constructor(
		private readonly stateFile: string | null,
		private readonly onChange: (c: Change) => void,
		private readonly log: (m: string) => void
	) {
		if (stateFile && fs.existsSync(stateFile)) {
			try {
				const saved = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {
					files: Record<string, Seen>;
					entries: string[];
				};
				this.seen = new Map(Object.entries(saved.files ?? {}));
				this.baselined = new Set(saved.entries ?? []);
			} catch (e) {
				log(`file watch: could not read ${stateFile}: ${(e as Error).message}`);
			}
		}
	}

	/** Watches these entries from now on; paths no longer named are forgotten. */
	setEntries(entries: string[]): void {
		this.entries = [...entries];
	}

	start(intervalMs: number): void {
		this.stop();
		void this.tick();
		this.timer = setInterval(() => void this.tick(), intervalMs);
		this.timer.unref();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
	}

	/**
	 * One look at every watched file. A call during a look waits for it and looks once more, so a look that
	 * starts after setEntries() (the new paths' baseline) is done when the promise resolves.
	 */
	tick(): Promise<void> {
		if (!this.running) {
			this.running = this.look().finally(() => (this.running = null));
			return this.running;
		}
		this.again ??= this.running.then(() => {
			this.again = null;
			return this.tick();
		});
		return this.again;
	}

	private running: Promise<void> | null = null;
	private again: Promise<void> | null = null;

	private async look(): Promise<void> {
		// The entries as they are now: setEntries() during the look counts from the next one.
		const entries = this.entries;
		try {
			const now = new Map<string, Seen>();
			const files = new Map<string, boolean>();
			for (const e of entries) {
				const name = path.posix.basename(e);
				const known = this.baselined.has(e);
				for (const f of await expand(e)) files.set(f, files.get(f) || known);
				if (!/[*?[]/.test(name)) continue;
				// A file the glob named before and names no longer was removed.
				const re = globToRegExp(name);
				for (const [p, s] of this.seen)
					if (s.exists && path.posix.dirname(p) === path.posix.dirname(e) && re.test(path.posix.basename(p)))
						files.set(p, true);
			}
			let dirty = false;
			for (const [f, known] of files) {
				const prev = this.seen.get(f);
				const cur = await look(f, prev);
				now.set(f, cur);
				if (!prev) {
					dirty = true;
					// New under a glob already watched: it appeared. Otherwise this is the first look.
					if (known && cur.exists)
						this.onChange({ path: f, before: null, after: publicState(cur), changed: ['exists'] });
					continue;
				}
				const changed = FIELDS.filter((k) => prev[k] !== cur[k]);
				if (!changed.length) continue;
				dirty = true;
				this.onChange({ path: f, before: publicState(prev), after: publicState(cur), changed });
			}
			for (const e of entries)
				if (!this.baselined.has(e)) {
					this.baselined.add(e);
					dirty = true;
				}
			for (const e of this.baselined) if (!entries.includes(e)) this.baselined.delete(e);
			if (now.size !== this.seen.size) dirty = true;
			this.seen = now;
			if (dirty) this.save();
		} catch (e) {
			this.log(`file watch: ${(e as Error).message}`);
		}
	}

	private save(): void {
		if (!this.stateFile) return;
		try {
			const tmp = `${this.stateFile}.tmp`;
			const saved = { files: Object.fromEntries(this.seen), entries: [...this.baselined] };
			fs.writeFileSync(tmp, JSON.stringify(saved), { mode: 0o600 });
			fs.renameSync(tmp, this.stateFile);
		} catch (e) {
			this.log(`file watch: could not save ${this.stateFile}: ${(e as Error).message}`);
		}
	}
}
