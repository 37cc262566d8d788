// The agent's own word on what the server may read: the `logs` and `files` lists of its config (globs allowed).
// A path is readable only if both the path as asked (with . and .. resolved) and the file it really is (with
// every symlink resolved) match the list, so neither ../ nor a symlink leads outside it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LogFileEntry } from '../../../../src/lib/protocol/logs';

/** `**` any run of characters, `*` any within one path part, `?` one character, `[…]` a class. */
export function globToRegExp(glob: string): RegExp {
	let re = '';
	for (let i = 0; i < glob.length; i++) {
		const c = glob[i];
		if (c === '*') {
			if (glob[i + 1] === '*') {
				// "/**/" also matches a single "/" (no directory in between).
				if (glob[i + 2] === '/') {
					re += '(?:.*/)?';
					i += 2;
				} else {
					re += '.*';
					i++;
				}
			} else re += '[^/]*';
		} else if (c === '?') re += '[^/]';
		else if (c === '[') {
			const end = glob.indexOf(']', i + 1);
			if (end < 0) re += '\\[';
			else {
				const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
				re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
				i = end;
			}
		} else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
	}
	return new RegExp(`^${re}$`);
}

const isGlob = (s: string) => /[*?[]/.test(s);

export type Resolved = { ok: true; real: string } | { ok: false; error: string };

export class AllowList {
	private readonly res: RegExp[];

	constructor(readonly patterns: readonly string[]) {
		this.res = patterns.map((p) => globToRegExp(path.posix.normalize(p)));
	}

	/** True when the (already normalised) path matches an entry. */
	matches(p: string): boolean {
		return this.res.some((r) => r.test(p));
	}

	/** The real path of `asked` when the list allows it; otherwise why not (one sentence). */
	async resolve(asked: string): Promise<Resolved> {
		if (!path.isAbsolute(asked) || asked.includes('\0'))
			return { ok: false, error: 'The path must be absolute.' };
		const normal = path.resolve(asked);
		const refused: Resolved = {
			ok: false,
			error: `${asked} is not in this agent's allowed paths (its logs and files lists).`
		};
		if (!this.matches(normal)) return refused;
		let real: string;
		try {
			real = await fs.realpath(normal);
		} catch (e) {
			const code = (e as NodeJS.ErrnoException).code;
			return {
				ok: false,
				error: code === 'ENOENT' ? `${asked} does not exist.` : `${asked} cannot be read (${code}).`
			};
		}
		if (real !== normal && !this.matches(real)) return refused;
		const st = await fs.stat(real).catch(() => null);
		if (!st?.isFile()) return { ok: false, error: `${asked} is not a regular file.` };
		return { ok: true, real };
	}

	/** The files the list names now (globs expanded, at most `max`), each one `resolve` would accept. */
	async expand(max = 2000): Promise<LogFileEntry[]> {
		const found = new Map<string, LogFileEntry>();
		for (const pattern of this.patterns) {
			if (found.size >= max) break;
			const p = path.posix.normalize(pattern);
			const candidates = isGlob(p) ? await walk(p, max) : [p];
			for (const c of candidates) {
				if (found.size >= max || found.has(c)) continue;
				const r = await this.resolve(c);
				if (!r.ok) continue;
				const st = await fs.stat(r.real).catch(() => null);
				if (st) found.set(c, { path: c, size: st.size, mtime: st.mtime.toISOString() });
			}
		}
		return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
	}
}

/** Paths under the glob's fixed prefix that match it (depth and count bounded). */
async function walk(glob: string, max: number): Promise<string[]> {
	const parts = glob.split('/');
	const fixed: string[] = [];
	for (const part of parts) {
		if (isGlob(part)) break;
		fixed.push(part);
	}
	const root = fixed.join('/') || '/';
	const re = globToRegExp(glob);
	const deep = glob.includes('**');
	const maxDepth = deep ? 8 : parts.length - fixed.length;
	const out: string[] = [];
	let visited = 0;
	const visit = async (dir: string, depth: number): Promise<void> => {
		if (depth > maxDepth || out.length >= max || ++visited > 10_000) return;
		const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
		for (const e of entries) {
			const full = path.posix.join(dir, e.name);
			if (e.isDirectory()) await visit(full, depth + 1);
			else if ((e.isFile() || e.isSymbolicLink()) && re.test(full)) out.push(full);
			if (out.length >= max) return;
		}
	};
	await visit(root, 1);
	return out;
}
