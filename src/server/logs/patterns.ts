// Pattern rules on console output, run by the server as the console broker stores each output chunk. Lines
// are buffered per console (a chunk may end mid-line), terminal escape sequences are stripped before matching,
// and matches are folded per console and rule for a second so a flood costs one write, not thousands.
// Never blocks the broker: rules are loaded in the background and writes are not awaited.
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { logRules } from '../db/schema';
import type { LogSeverity } from '../../lib/protocol/logs';
import { effectiveGroups } from './access';
import { announce, storePatternHit } from './events';

/** Rules are re-read this often (a change on another node reaches this one within it). */
const RULES_TTL_MS = 5_000;
/** A line longer than this is matched in pieces (a program printing without newlines). */
const MAX_LINE_CHARS = 4096;
/** Output kept per console while its rules load for the first time. */
const MAX_PENDING_BYTES = 64 * 1024;
const FLUSH_MS = 1_000;

interface Rule {
	id: number;
	name: string;
	severity: LogSeverity;
	re: RegExp;
}

interface DeviceRules {
	rules: Rule[];
	loadedAt: number;
	loading: Promise<void> | null;
}

interface ConsoleState {
	deviceId: number;
	decoder: TextDecoder;
	partial: string;
	/** Chunks that arrived before the device's rules were first loaded. */
	pending: { at: Date; data: Uint8Array }[];
	pendingBytes: number;
}

interface Fold {
	deviceId: number;
	consoleId: number;
	rule: Rule;
	line: string;
	lastLine: string | null;
	count: number;
	at: Date;
	timer: NodeJS.Timeout | null;
}

const KEY = Symbol.for('fleetdesk.logsConsoleScan');
interface State {
	devices: Map<number, DeviceRules>;
	consoles: Map<number, ConsoleState>;
	folds: Map<string, Fold>;
}
type G = typeof globalThis & { [KEY]?: State };
function state(): State {
	return ((globalThis as G)[KEY] ??= { devices: new Map(), consoles: new Map(), folds: new Map() });
}

/** Makes every device's rules load again on next use (after a rule was changed on this node). */
export function forgetConsoleRules(): void {
	for (const d of state().devices.values()) d.loadedAt = 0;
}

async function loadRules(db: Db, deviceId: number, d: DeviceRules): Promise<void> {
	const groups = await effectiveGroups(db, deviceId);
	const rows = groups.length
		? await db
				.select()
				.from(logRules)
				.where(
					and(inArray(logRules.groupId, groups), eq(logRules.enabled, true), eq(logRules.onConsoles, true))
				)
		: [];
	const rules: Rule[] = [];
	for (const r of rows) {
		try {
			rules.push({
				id: r.id,
				name: r.name,
				severity: r.severity as LogSeverity,
				re: new RegExp(r.pattern, r.ignoreCase ? 'i' : '')
			});
		} catch {
			// Saved rules were checked; one that no longer compiles is skipped, not fatal.
		}
	}
	d.rules = rules;
	d.loadedAt = Date.now();
}

// CSI, OSC (ended by BEL or ST), two-character escapes, and other C0 controls except tab.
const ESCAPES =
	// eslint-disable-next-line no-control-regex
	/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]/g;

export function plainText(s: string): string {
	return s.replace(ESCAPES, '');
}

function match(db: Db, deviceId: number, consoleId: number, rules: Rule[], raw: string, at: Date): void {
	const line = plainText(raw);
	if (!line) return;
	for (const rule of rules) {
		if (!rule.re.test(line)) continue;
		const key = `${consoleId}:${rule.id}`;
		const f = state().folds.get(key);
		if (f) {
			f.count++;
			f.lastLine = line;
			continue;
		}
		// The first match goes out at once; the ones in the next second are folded into one write.
		const fold: Fold = { deviceId, consoleId, rule, line, lastLine: null, count: 0, at, timer: null };
		state().folds.set(key, fold);
		write(db, { ...fold, count: 1 });
		fold.timer = setTimeout(() => {
			state().folds.delete(key);
			if (fold.count) write(db, { ...fold, line: fold.lastLine ?? fold.line, at: new Date() });
		}, FLUSH_MS);
		fold.timer.unref?.();
	}
}

function write(db: Db, f: Fold): void {
	void storePatternHit(db, {
		deviceId: f.deviceId,
		agentId: null,
		rule: { id: f.rule.id, name: f.rule.name, severity: f.rule.severity },
		source: { type: 'console', consoleId: f.consoleId, consoleName: null },
		line: f.line,
		lastLine: f.lastLine,
		count: f.count,
		at: f.at
	})
		.then((raised) => announce(db, raised))
		.catch((e) => console.error('logs: storing a console pattern match failed:', (e as Error).message));
}

function scanChunk(
	db: Db,
	deviceId: number,
	consoleId: number,
	c: ConsoleState,
	rules: Rule[],
	at: Date,
	data: Uint8Array
) {
	// No rules (the usual case): only the unfinished last line is kept, for rules that may come; what comes
	// before the chunk's last newline is not decoded at all.
	const nl = rules.length ? -1 : data.lastIndexOf(0x0a);
	if (nl >= 0) {
		c.decoder = new TextDecoder();
		c.partial = '';
		data = data.subarray(nl + 1);
	}
	let text = c.partial + c.decoder.decode(data, { stream: true });
	let start = 0;
	for (;;) {
		const nl = text.indexOf('\n', start);
		if (nl < 0) break;
		if (rules.length) match(db, deviceId, consoleId, rules, text.slice(start, nl), at);
		start = nl + 1;
	}
	text = text.slice(start);
	while (text.length > MAX_LINE_CHARS) {
		if (rules.length) match(db, deviceId, consoleId, rules, text.slice(0, MAX_LINE_CHARS), at);
		text = text.slice(MAX_LINE_CHARS);
	}
	c.partial = text;
}

/**
 * Runs the console's device's pattern rules on one output chunk. Cheap and synchronous up to the regex tests;
 * storing an event happens in the background.
 */
export function scanConsoleOutput(
	db: Db,
	m: { consoleId: number; deviceId: number; at: Date; data: Uint8Array }
): void {
	const s = state();
	let d = s.devices.get(m.deviceId);
	if (!d) s.devices.set(m.deviceId, (d = { rules: [], loadedAt: 0, loading: null }));
	let c = s.consoles.get(m.consoleId);
	if (!c)
		s.consoles.set(
			m.consoleId,
			(c = { deviceId: m.deviceId, decoder: new TextDecoder(), partial: '', pending: [], pendingBytes: 0 })
		);
	const dev = d;
	if (Date.now() - dev.loadedAt > RULES_TTL_MS && !dev.loading)
		dev.loading = loadRules(db, m.deviceId, dev)
			.catch((e) => console.error('logs: loading pattern rules failed:', (e as Error).message))
			.finally(() => {
				dev.loading = null;
				if (!dev.loadedAt) return;
				// Output that came while the rules loaded for the first time is scanned now, in order.
				for (const [id, con] of s.consoles) {
					if (con.deviceId !== m.deviceId || !con.pending.length) continue;
					const queued = con.pending;
					con.pending = [];
					con.pendingBytes = 0;
					for (const q of queued) scanChunk(db, con.deviceId, id, con, dev.rules, q.at, q.data);
				}
			});
	if (!dev.loadedAt) queue(c, m.at, m.data);
	else scanChunk(db, m.deviceId, m.consoleId, c, dev.rules, m.at, m.data);
}

function queue(c: ConsoleState, at: Date, data: Uint8Array): void {
	if (c.pendingBytes + data.length > MAX_PENDING_BYTES) return;
	c.pending.push({ at, data: new Uint8Array(data) });
	c.pendingBytes += data.length;
}

/** Forgets a console's partial line (its pipe was closed or the console deleted). */
export function forgetConsole(consoleId: number): void {
	state().consoles.delete(consoleId);
}
