// The step engine: plays one macro into one console. It types each line, sleeps through delays, and for a
// wait-for step watches the console's output from the moment the step began until a line matches (or the
// timeout stops the macro). It knows nothing of sockets or databases: the caller feeds it output and gives
// it a way to type, so it is the same on every node and in the unit tests.
import {
	MACRO_FINAL_STATES,
	MACRO_LOG_LINES,
	type MacroConsoleState,
	type MacroStep
} from '../../../lib/protocol/gang';
import { OutputLines } from './lines';

export interface PlaybackIo {
	/** Types text into the console; resolves to null when it went, else the reason it was refused. */
	send(text: string): Promise<string | null>;
	/** The console's state changed (called for every step and at the end). */
	progress(state: MacroConsoleState, step: number, message: string): void;
}

type WaitResult = { line: string } | 'timeout' | 'stopped';

export function describeWait(s: Extract<MacroStep, { type: 'wait' }>): string {
	return `/${s.pattern}/${s.ignoreCase ? 'i' : ''}`;
}

export function formatMs(ms: number): string {
	if (ms < 1000) return `${ms} ms`;
	const s = ms / 1000;
	return s < 60 ? `${Number(s.toFixed(1))} s` : `${Number((s / 60).toFixed(1))} min`;
}

const preview = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class Playback {
	readonly steps: readonly MacroStep[];
	state: MacroConsoleState = 'queued';
	step = 0;
	message = '';
	/** The last MACRO_LOG_LINES changes, and how many there were in all. */
	readonly log: string[] = [];
	logged = 0;

	#io: PlaybackIo;
	#lines = new OutputLines();
	/** The last line typed, until its echo has gone by: the echo of `echo READY` must not satisfy /READY/. */
	#echo: string | null = null;
	#waiter: { re: RegExp; done: (r: WaitResult) => void } | null = null;
	#sleeper: (() => void) | null = null;
	#stopped = false;

	constructor(steps: readonly MacroStep[], io: PlaybackIo) {
		this.steps = steps;
		this.#io = io;
	}

	get finished(): boolean {
		return MACRO_FINAL_STATES.includes(this.state);
	}

	/** stop() was called (the run may still be finishing its step). */
	get stopping(): boolean {
		return this.#stopped;
	}

	/** Output of the console, in order, as it arrives. */
	feed(data: Uint8Array): void {
		const { lines, partial } = this.#lines.push(data);
		for (const line of lines) this.#line(line, true);
		// A prompt such as "Password: " never ends its line: the open line is tried as it grows.
		if (partial) this.#line(partial, false);
	}

	#line(line: string, complete: boolean): void {
		if (this.#echo !== null && line.includes(this.#echo)) {
			if (complete) this.#echo = null;
			return;
		}
		const w = this.#waiter;
		if (w && w.re.test(line)) {
			this.#waiter = null;
			w.done({ line });
		}
	}

	/** Stops after the step in progress (a wait or delay ends at once). */
	stop(): void {
		if (this.#stopped) return;
		this.#stopped = true;
		this.#waiter?.done('stopped');
		this.#waiter = null;
		this.#sleeper?.();
	}

	#set(state: MacroConsoleState, message: string): void {
		this.state = state;
		this.message = message;
		this.log.push(`${this.step}/${this.steps.length} ${state}: ${message}`);
		if (this.log.length > MACRO_LOG_LINES) this.log.shift();
		this.logged++;
		this.#io.progress(state, this.step, message);
	}

	async run(): Promise<MacroConsoleState> {
		for (let i = 0; i < this.steps.length; i++) {
			if (this.#stopped) break;
			const s = this.steps[i];
			this.step = i + 1;
			if (s.type === 'send') {
				this.#set('sending', `typing: ${preview(s.text) || '(Enter)'}`);
				const refused = await this.#io.send(s.text + (s.enter ? '\r' : ''));
				if (refused) return this.#end('failed', refused);
				this.#echo = s.text.trim() || null;
			} else if (s.type === 'delay') {
				this.#set('delaying', `pausing ${formatMs(s.ms)}`);
				await this.#sleep(s.ms);
			} else {
				const what = describeWait(s);
				this.#set('waiting', `waiting for ${what}`);
				const r = await this.#wait(new RegExp(s.pattern, s.ignoreCase ? 'i' : ''), s.timeoutMs);
				if (r === 'timeout')
					return this.#end('timed-out', `timed out after ${formatMs(s.timeoutMs)} waiting for ${what}`);
				if (r !== 'stopped') this.#set('matched', `matched ${what}: ${preview(r.line)}`);
			}
		}
		if (this.#stopped) return this.#end('stopped', `stopped at step ${this.step} of ${this.steps.length}`);
		return this.#end('done', `ran ${this.steps.length} step${this.steps.length === 1 ? '' : 's'}`);
	}

	/** Ends before the first step (no permission, console offline …). */
	skip(message: string): MacroConsoleState {
		return this.#end('skipped', message);
	}

	fail(message: string): MacroConsoleState {
		return this.#end('failed', message);
	}

	#end(state: MacroConsoleState, message: string): MacroConsoleState {
		this.#waiter = null;
		this.#set(state, message);
		return state;
	}

	#sleep(ms: number): Promise<void> {
		return new Promise<void>((resolve) => {
			const done = () => {
				clearTimeout(t);
				this.#sleeper = null;
				resolve();
			};
			const t = setTimeout(done, ms);
			this.#sleeper = done;
		});
	}

	#wait(re: RegExp, timeoutMs: number): Promise<WaitResult> {
		return new Promise<WaitResult>((resolve) => {
			const t = setTimeout(() => {
				this.#waiter = null;
				resolve('timeout');
			}, timeoutMs);
			this.#waiter = {
				re,
				done: (r) => {
					clearTimeout(t);
					resolve(r);
				}
			};
		});
	}
}
