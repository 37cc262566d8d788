// Read sessions opened by signed `logs-open` tasks. A session names one source and lives until its ttl runs
// out; operations on it arrive as `logs:op` events. An unknown session (the agent restarted, it expired) is
// answered as such, so the server opens a new one with a new signed task.
import type { LogsOp, LogsOpenArgs, LogsOpResult } from '../../../../src/lib/protocol/logs';
import type { AllowList } from './allow';
import { FileSession } from './file-session';
import { JournalSession } from './journal';

const MAX_SESSIONS = 64;
const SWEEP_MS = 30_000;

interface Entry {
	source: LogsOpenArgs['source'];
	expiresAt: number;
	ready: Promise<FileSession | JournalSession>;
	usedAt: number;
}

export class Sessions {
	private readonly map = new Map<string, Entry>();
	private readonly timer: NodeJS.Timeout;

	constructor(
		private readonly allow: () => AllowList,
		private readonly journal: () => { ok: boolean; bin: string }
	) {
		this.timer = setInterval(() => this.sweep(), SWEEP_MS);
		this.timer.unref();
	}

	/**
	 * Registers the session at once (operations that arrive right after the task's acknowledgement find it),
	 * then checks the path; resolves with what was opened, or rejects with why not.
	 */
	open(args: LogsOpenArgs): Promise<{ path: string | null; size: number | null }> {
		const ready = this.start(args.source);
		ready.catch(() => {});
		this.map.set(args.sessionId, {
			source: args.source,
			expiresAt: Date.now() + args.ttlMs,
			ready,
			usedAt: Date.now()
		});
		while (this.map.size > MAX_SESSIONS) {
			const oldest = [...this.map.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0];
			this.drop(oldest[0]);
		}
		return ready.then((s) => ({
			path: args.source.type === 'file' ? args.source.path : null,
			size: s instanceof FileSession ? s.size : null
		}));
	}

	private async start(source: LogsOpenArgs['source']): Promise<FileSession | JournalSession> {
		if (source.type === 'journal') {
			const j = this.journal();
			if (!j.ok)
				throw new Error('This agent does not read the journal (no journalctl, or its config says no).');
			return new JournalSession(j.bin);
		}
		const reopen = async () => {
			const r = await this.allow().resolve(source.path);
			if (!r.ok) throw new Error(r.error);
			return r.real;
		};
		const s = new FileSession(reopen);
		await s.refresh();
		return s;
	}

	async handle(m: { sessionId: string } & LogsOp): Promise<LogsOpResult> {
		const e = this.map.get(m.sessionId);
		if (!e || e.expiresAt < Date.now()) {
			if (e) this.drop(m.sessionId);
			return { ok: false, code: 'unknown-session', error: 'This read session has ended.' };
		}
		e.usedAt = Date.now();
		let s: FileSession | JournalSession;
		try {
			s = await e.ready;
		} catch (err) {
			this.drop(m.sessionId);
			return { ok: false, code: 'refused', error: (err as Error).message };
		}
		try {
			switch (m.op) {
				case 'read':
					return { ok: true, op: 'read', ...(await s.read(m.from, m.count, m.before)) };
				case 'follow':
					return { ok: true, op: 'follow', ...(await s.follow(m.after, m.max, m.waitMs)) };
				case 'filter':
					return { ok: true, op: 'filter', ...(await s.filter(m.filter, m.from, m.limit)) };
				case 'stat':
					if (s instanceof FileSession) await s.refresh();
					return { ok: true, op: 'stat', index: s instanceof FileSession ? s.state() : null };
				case 'close':
					this.drop(m.sessionId);
					return { ok: true, op: 'close' };
			}
		} catch (err) {
			const code = (err as NodeJS.ErrnoException).code;
			const message =
				code === 'ENOENT'
					? 'The file no longer exists.'
					: code === 'EACCES'
						? 'The agent may not read this file (permission denied).'
						: (err as Error).message;
			return { ok: false, code: 'failed', error: message };
		}
	}

	private drop(id: string): void {
		const e = this.map.get(id);
		this.map.delete(id);
		void e?.ready.then((s) => s.close()).catch(() => {});
	}

	private sweep(): void {
		const now = Date.now();
		for (const [id, e] of this.map) if (e.expiresAt < now) this.drop(id);
	}

	stop(): void {
		clearInterval(this.timer);
		for (const id of [...this.map.keys()]) this.drop(id);
	}
}
