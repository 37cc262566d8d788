// Pattern rules on the host's log files: the agent follows every file its `logs` list names (from the end the
// first time, then from where it was, even across restarts; from the start of a rotated or truncated file) and
// tests each new line against the rules of its groups; entries of the systemd journal come in through
// matchJournal (journal-tail.ts follows it). Matching here, not on the server, keeps the fleet's
// log volume off the link: only matches travel. A flood is folded: the first match of a rule in a file is
// reported at once, the next ones in the following 5 s as one report with their count.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { LogLine, LogMatchReport, LogRuleSpec, LogSource } from '../../../../src/lib/protocol/logs';
import type { AllowList } from './allow';
import { scanForward } from './scan';

/** New bytes read per file per look (a burst is worked through over the next looks). */
const MAX_READ = 4 * 1024 * 1024;
/** Only this much of a line is matched (bounds the cost of a pathological line). */
const MATCH_CHARS = 4096;
const FOLD_MS = 5_000;
const EXPAND_MS = 30_000;
const SAVE_MS = 10_000;

interface Rule {
	id: number;
	re: RegExp;
}

interface Pos {
	id: string;
	offset: number;
}

interface Fold {
	first: string;
	/** Byte offset of the first line (files); null for the journal. */
	offset: number | null;
	count: number;
	last: string;
	at: string;
}

export class RuleTailer {
	private rules: Rule[] = [];
	private pos = new Map<string, Pos>();
	private files: string[] = [];
	private expandedAt = 0;
	private folds = new Map<string, Fold>();
	private busy = false;
	private dirty = false;
	private savedAt = 0;
	private timer: NodeJS.Timeout | null = null;

	constructor(
		private readonly allow: () => AllowList,
		private readonly stateFile: string | null,
		private readonly report: (m: LogMatchReport) => void,
		private readonly log: (m: string) => void
	) {
		if (stateFile && fs.existsSync(stateFile))
			try {
				this.pos = new Map(
					Object.entries(JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, Pos>)
				);
			} catch (e) {
				log(`log rules: could not read ${stateFile}: ${(e as Error).message}`);
			}
	}

	setRules(specs: LogRuleSpec[]): void {
		const rules: Rule[] = [];
		for (const s of specs)
			try {
				rules.push({ id: s.id, re: new RegExp(s.pattern, s.ignoreCase ? 'i' : '') });
			} catch {
				this.log(`log rules: rule ${s.id} (${s.name}) does not compile here; skipped`);
			}
		this.rules = rules;
	}

	start(intervalMs: number): void {
		this.stop();
		this.timer = setInterval(() => void this.tick(), intervalMs);
		this.timer.unref();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
		this.save(true);
	}

	/** One look at every followed file; exposed for tests. */
	async tick(): Promise<void> {
		if (this.busy || !this.rules.length) return;
		this.busy = true;
		try {
			if (Date.now() - this.expandedAt > EXPAND_MS) {
				this.files = (await this.allow().expand()).map((f) => f.path);
				this.expandedAt = Date.now();
			}
			for (const f of this.files) await this.follow(f);
			this.save(false);
		} catch (e) {
			this.log(`log rules: ${(e as Error).message}`);
		} finally {
			this.busy = false;
		}
	}

	private async follow(file: string): Promise<void> {
		const r = await this.allow().resolve(file);
		if (!r.ok) return;
		const fh = await fsp.open(r.real, 'r').catch(() => null);
		if (!fh) return;
		try {
			const st = await fh.stat();
			const id = `${st.dev}:${st.ino}`;
			let p = this.pos.get(file);
			if (!p) {
				// First sight: only what is written from now on.
				this.pos.set(file, (p = { id, offset: st.size }));
				this.dirty = true;
				return;
			}
			if (p.id !== id || st.size < p.offset) {
				p.id = id;
				p.offset = 0;
				this.dirty = true;
			}
			if (st.size <= p.offset) return;
			const until = Math.min(st.size, p.offset + MAX_READ);
			let end = p.offset;
			await scanForward(fh, p.offset, until, (l) => {
				if (!l.terminated) return false;
				this.match({ type: 'file', path: file }, l.offset, l.text);
				end = l.end;
			});
			// A "line" longer than one read without a newline is skipped rather than read forever.
			p.offset = end === p.offset && until - p.offset >= MAX_READ ? until : end;
			this.dirty = true;
		} finally {
			await fh.close().catch(() => {});
		}
	}

	/** True when some rule is set (the journal is followed only then). */
	get hasRules(): boolean {
		return this.rules.length > 0;
	}

	/** A journal entry: matched like a file's line; its time is the entry's (the viewer opens the journal there). */
	matchJournal(l: LogLine): void {
		this.match({ type: 'journal' }, null, l.text, l.time);
	}

	private match(source: LogSource, offset: number | null, line: string, time?: string): void {
		const text = line.length > MATCH_CHARS ? line.slice(0, MATCH_CHARS) : line;
		const where = source.type === 'file' ? source.path : '';
		for (const rule of this.rules) {
			if (!rule.re.test(text)) continue;
			const key = `${rule.id}\0${source.type}\0${where}`;
			const f = this.folds.get(key);
			if (f) {
				if (!f.count) {
					f.first = line;
					f.offset = offset;
					f.at = time ?? new Date().toISOString();
				}
				f.count++;
				f.last = line;
				continue;
			}
			const at = time ?? new Date().toISOString();
			this.send(rule.id, source, { first: line, offset, count: 1, last: line, at });
			const fold: Fold = { first: '', offset: null, count: 0, last: '', at };
			this.folds.set(key, fold);
			setTimeout(() => {
				this.folds.delete(key);
				if (fold.count) this.send(rule.id, source, fold);
			}, FOLD_MS).unref();
		}
	}

	private send(ruleId: number, source: LogSource, f: Fold): void {
		this.report({
			ruleId,
			source,
			offset: f.offset,
			line: f.first,
			count: f.count,
			...(f.count > 1 ? { lastLine: f.last } : {}),
			at: f.at
		});
	}

	private save(force: boolean): void {
		if (!this.stateFile || !this.dirty || (!force && Date.now() - this.savedAt < SAVE_MS)) return;
		try {
			fs.writeFileSync(this.stateFile, JSON.stringify(Object.fromEntries(this.pos)), { mode: 0o600 });
			this.dirty = false;
			this.savedAt = Date.now();
		} catch (e) {
			this.log(`log rules: could not save ${this.stateFile}: ${(e as Error).message}`);
		}
	}
}
