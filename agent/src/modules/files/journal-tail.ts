// Pattern rules on the systemd journal: one `journalctl -f -o json` child while there are rules, from the
// entry after the last one seen (kept in a state file across restarts), or from now on the first time. Each
// entry becomes a line "IDENT[PID]: MESSAGE" (journal.ts) for the rules. A child that ends is started again.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { LogLine } from '../../../../src/lib/protocol/logs';
import { journalLine } from './journal';

const RESTART_MS = 5_000;
const SAVE_MS = 10_000;

export class JournalTailer {
	private child: ChildProcess | null = null;
	private wanted = false;
	private cursor: string | null = null;
	private dirty = false;
	private saveTimer: NodeJS.Timeout | null = null;
	private restartTimer: NodeJS.Timeout | null = null;

	constructor(
		private readonly bin: string,
		private readonly stateFile: string | null,
		private readonly onLine: (l: LogLine) => void,
		private readonly log: (m: string) => void
	) {
		if (stateFile && fs.existsSync(stateFile))
			try {
				const c = (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { cursor?: unknown }).cursor;
				this.cursor = typeof c === 'string' && c ? c : null;
			} catch (e) {
				log(`journal rules: could not read ${stateFile}: ${(e as Error).message}`);
			}
	}

	/** Follows the journal while `on` (there are rules), stops the child otherwise. */
	set(on: boolean): void {
		this.wanted = on;
		if (on) this.spawn();
		else this.halt();
	}

	stop(): void {
		this.wanted = false;
		this.halt();
	}

	private spawn(): void {
		if (this.child || this.restartTimer || !this.wanted) return;
		const usedCursor = this.cursor;
		const from = usedCursor ? ['--after-cursor', usedCursor] : ['-n', '0'];
		let gotLine = false;
		const p = spawn(this.bin, ['-f', '-o', 'json', '--no-pager', ...from], {
			stdio: ['ignore', 'pipe', 'pipe']
		});
		this.child = p;
		let err = '';
		p.stderr!.on('data', (d) => (err = (err + d).slice(-500)));
		readline.createInterface({ input: p.stdout! }).on('line', (json) => {
			if (this.child !== p) return;
			const l = journalLine(json);
			if (!l?.cursor) return;
			gotLine = true;
			this.cursor = l.cursor;
			this.dirty = true;
			this.onLine(l);
		});
		p.on('error', (e) => this.log(`journal rules: journalctl could not run: ${e.message}`));
		p.on('close', (code) => {
			if (this.child !== p) return;
			this.child = null;
			this.save();
			if (!this.wanted) return;
			if (code && usedCursor && !gotLine && this.cursor === usedCursor) {
				// The journal no longer knows the cursor (vacuumed, or another machine's): go on from its end.
				this.log(
					`journal rules: journalctl cannot start after the saved cursor${err.trim() ? ` (${err.trim().split('\n').pop()})` : ''}; following from the end of the journal`
				);
				this.cursor = null;
				if (this.stateFile) fs.rmSync(this.stateFile, { force: true });
				this.spawn();
				return;
			}
			this.log(
				`journal rules: journalctl ended (${code ?? 'signal'})${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}; starting it again in ${RESTART_MS / 1000} s`
			);
			this.restartTimer = setTimeout(() => {
				this.restartTimer = null;
				this.spawn();
			}, RESTART_MS);
			this.restartTimer.unref();
		});
		this.saveTimer ??= setInterval(() => this.save(), SAVE_MS);
		this.saveTimer.unref();
	}

	private halt(): void {
		if (this.restartTimer) clearTimeout(this.restartTimer);
		this.restartTimer = null;
		if (this.saveTimer) clearInterval(this.saveTimer);
		this.saveTimer = null;
		const p = this.child;
		this.child = null;
		p?.kill();
		this.save();
	}

	private save(): void {
		if (!this.stateFile || !this.dirty || !this.cursor) return;
		try {
			fs.writeFileSync(this.stateFile, JSON.stringify({ cursor: this.cursor }), { mode: 0o600 });
			this.dirty = false;
		} catch (e) {
			this.log(`journal rules: could not save ${this.stateFile}: ${(e as Error).message}`);
		}
	}
}
