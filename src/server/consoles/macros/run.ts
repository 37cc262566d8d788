// A macro run: one playback per console, all at once, on the node where it was started (it goes on when the
// browser closes). Progress goes to the player's `user:<id>` room, which spans nodes through the adapter,
// batched a few times a second so a 200-console gang costs a handful of messages per step. Another node asks
// for a stop or the list of runs with a server-side event answered by the node that runs it.
import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import type { Db } from '../../db/client';
import { loadPrincipal, type Principal } from '../../auth/permissions';
import type {
	MacroConsoleProgress,
	MacroRun,
	MacroRunStateName,
	MacroStep
} from '../../../lib/protocol/gang';
import { clustered } from '../bus';
import { desktopNs } from '../rooms';
import type { Playback } from './engine';
import { staleSince } from '../../access/live';

const FLUSH_MS = 200;
const EVENT = 'fleetdesk:macros';

export interface RunUser {
	userId: number;
	username: string;
	ip: string;
	principal: Principal;
	principalAt: number;
}

export interface RunMember {
	name: string;
	playback: Playback;
	/** How many of the playback's log lines went out in progress reports. */
	reported: number;
}

export class MacroRunner {
	readonly runId = randomUUID();
	readonly startedAt = new Date();
	state: MacroRunStateName = 'running';
	readonly members = new Map<number, RunMember>();
	stopRequested = false;
	#dirty = new Set<number>();
	#timer: ReturnType<typeof setTimeout> | null = null;

	constructor(
		readonly macro: { id: number; name: string; steps: MacroStep[] },
		readonly user: RunUser
	) {}

	/** The player as the broker's input path needs them, with roles reloaded every few seconds. */
	async sender(db: Db): Promise<RunUser> {
		const u = this.user;
		if (staleSince(u.principalAt)) {
			const at = Date.now();
			u.principal = await loadPrincipal(db, { id: u.userId, username: u.username });
			u.principalAt = at;
		}
		return u;
	}

	/** A console's state, with its log lines since the last report (all it keeps when `full`). */
	progress(consoleId: number, full = false): MacroConsoleProgress {
		const m = this.members.get(consoleId)!;
		const pb = m.playback;
		const fresh = full ? pb.log.length : Math.min(pb.log.length, pb.logged - m.reported);
		if (!full) m.reported = pb.logged;
		return {
			consoleId,
			name: m.name,
			state: pb.state,
			step: pb.step,
			steps: pb.steps.length,
			message: pb.message,
			log: pb.log.slice(pb.log.length - fresh)
		};
	}

	view(): MacroRun {
		return {
			runId: this.runId,
			macroId: this.macro.id,
			macroName: this.macro.name,
			userId: this.user.userId,
			username: this.user.username,
			startedAt: this.startedAt.toISOString(),
			state: this.state,
			consoles: [...this.members.keys()].map((id) => this.progress(id, true))
		};
	}

	changed(consoleId: number): void {
		this.#dirty.add(consoleId);
		this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
	}

	flush(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		if (!this.#dirty.size) return;
		const consoles = [...this.#dirty].map((id) => this.progress(id));
		this.#dirty.clear();
		desktopNs()?.to(`user:${this.user.userId}`).emit('macro:progress', { runId: this.runId, consoles });
	}

	announce(): void {
		this.flush();
		desktopNs()?.to(`user:${this.user.userId}`).emit('macro:run', this.view());
	}

	stop(): void {
		this.stopRequested = true;
		for (const m of this.members.values()) m.playback.stop();
	}

	/** Every console has finished: the run's outcome, announced, and the run forgotten. */
	finish(): void {
		const states = [...this.members.values()].map((m) => m.playback.state);
		this.state = this.stopRequested
			? 'stopped'
			: states.some((s) => s === 'failed' || s === 'timed-out')
				? 'failed'
				: 'done';
		this.announce();
		localRuns().delete(this.runId);
	}
}

const KEY = Symbol.for('fleetdesk.macros.runs');
type G = typeof globalThis & { [KEY]?: Map<string, MacroRunner> };

/** The runs going on this node. */
export function localRuns(): Map<string, MacroRunner> {
	return ((globalThis as G)[KEY] ??= new Map());
}

function runsOf(userId: number): MacroRun[] {
	return [...localRuns().values()].filter((r) => r.user.userId === userId).map((r) => r.view());
}

type StopResult = 'stopped' | 'forbidden' | 'unknown';

function stopHere(runId: string, userId: number, manage: boolean): StopResult {
	const r = localRuns().get(runId);
	if (!r) return 'unknown';
	if (r.user.userId !== userId && !manage) return 'forbidden';
	r.stop();
	return 'stopped';
}

type BusMessage =
	{ t: 'stop'; runId: string; userId: number; manage: boolean } | { t: 'runs?'; userId: number };

async function askOthers<T>(m: BusMessage): Promise<T[]> {
	const ns = desktopNs();
	if (!ns || !clustered()) return [];
	try {
		return (await ns.serverSideEmitWithAck(EVENT, m)) as T[];
	} catch (e) {
		// Some node did not answer in time: use the answers that came.
		return ((e as { responses?: T[] }).responses ?? []) as T[];
	}
}

/** Answers other nodes' questions about the runs on this one. */
export function startMacroBus(ns: Namespace): void {
	if (!clustered()) return;
	ns.on(EVENT, (m: BusMessage, ack?: (r: unknown) => void) => {
		if (typeof ack !== 'function' || !m) return;
		if (m.t === 'stop') ack(stopHere(String(m.runId), Number(m.userId), !!m.manage));
		else if (m.t === 'runs?') ack(runsOf(Number(m.userId)));
		else ack(null);
	});
}

/** Stops a run on whichever node runs it: the player's own, or any with consoles.manage. */
export async function stopRun(runId: string, userId: number, manage: boolean): Promise<StopResult> {
	const here = stopHere(runId, userId, manage);
	if (here !== 'unknown') return here;
	const answers = await askOthers<StopResult>({ t: 'stop', runId, userId, manage });
	return answers.find((a) => a === 'stopped') ?? answers.find((a) => a === 'forbidden') ?? 'unknown';
}

/** The user's runs still going, on every node. */
export async function listRuns(userId: number): Promise<MacroRun[]> {
	const others = await askOthers<MacroRun[]>({ t: 'runs?', userId });
	return [...runsOf(userId), ...others.filter(Array.isArray).flat()].sort((a, b) =>
		a.startedAt.localeCompare(b.startedAt)
	);
}
