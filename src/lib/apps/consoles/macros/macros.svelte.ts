import { desktopSocket } from '$lib/realtime';
import { trpc } from '$lib/trpc';
import { Loader } from '$lib/components/async.svelte';
import type { ConsoleAck } from '$protocol/consoles';
import {
	MACRO_LOG_LINES,
	type MacroConsoleProgress,
	type MacroInput,
	type MacroPlayAck,
	type MacroRun,
	type MacroView
} from '$protocol/gang';

const ACK_MS = 15_000;
/** Log lines kept per console in this tab. */
const KEEP_LOG = MACRO_LOG_LINES * 4;

export type PlayTarget = { consoleIds: number[]; label: string };
export type EditorState = { macro?: MacroView; draft?: MacroInput; note?: string };
export type MacroDialog = { kind: 'play'; target: PlayTarget } | { kind: 'edit'; editor: EditorState };

const DIALOG_EVENT = 'fleetdesk-macro-dialog';

/**
 * Opens a macro dialog in the window `from` is in: the event bubbles up to that window's MacroDialogs, so a
 * dialog opened from one Consoles window never shows in another.
 */
export function openMacroDialog(from: Element, d: MacroDialog): void {
	from.dispatchEvent(new CustomEvent<MacroDialog>(DIALOG_EVENT, { detail: d, bubbles: true }));
}

/** MacroDialogs listens on its window's root element. */
export function onMacroDialog(root: Element, fn: (d: MacroDialog) => void): () => void {
	const on = (e: Event) => {
		e.stopPropagation();
		fn((e as CustomEvent<MacroDialog>).detail);
	};
	root.addEventListener(DIALOG_EVENT, on);
	return () => root.removeEventListener(DIALOG_EVENT, on);
}

/**
 * Macros in this tab: the library, the runs this user has going (reported live by the server to every
 * socket of the user, whichever node runs them), and the consoles being recorded. Playback itself runs on
 * the server: closing the tab does not stop it.
 */
class MacroStore {
	readonly library = new Loader<MacroView[]>(() => trpc.macros.list.query());
	runs = $state<MacroRun[]>([]);
	/** consoleId → where its recording started in the access log. */
	recording = $state<Record<number, number>>({});

	#users = 0;

	#onRun = (r: MacroRun) => {
		const i = this.runs.findIndex((x) => x.runId === r.runId);
		if (i >= 0) this.runs[i] = r;
		else this.runs.push(r);
	};

	#onProgress = (m: { runId: string; consoles: MacroConsoleProgress[] }) => {
		const run = this.runs.find((x) => x.runId === m.runId);
		if (!run) return;
		for (const p of m.consoles) {
			const c = run.consoles.find((x) => x.consoleId === p.consoleId);
			if (!c) continue;
			const log = [...c.log, ...p.log].slice(-KEEP_LOG);
			Object.assign(c, p, { log });
		}
	};

	#onConnect = () => void this.refresh();

	/** A component that shows runs appeared; returns the function to call when it goes. */
	start(): () => void {
		if (this.#users++ === 0) {
			const s = desktopSocket();
			s.on('macro:run', this.#onRun);
			s.on('macro:progress', this.#onProgress);
			s.on('connect', this.#onConnect);
			if (s.connected) void this.refresh();
		}
		let done = false;
		return () => {
			if (done) return;
			done = true;
			if (--this.#users > 0) return;
			const s = desktopSocket();
			s.off('macro:run', this.#onRun);
			s.off('macro:progress', this.#onProgress);
			s.off('connect', this.#onConnect);
		};
	}

	/** Runs still going on the server (after a reload, or started from another tab). */
	async refresh(): Promise<void> {
		try {
			const going = (await desktopSocket().timeout(ACK_MS).emitWithAck('macro:runs')) as MacroRun[];
			for (const r of going) this.#onRun(r);
		} catch {
			// The list stays as it was; live events keep it current.
		}
	}

	async play(macroId: number, consoleIds: number[]): Promise<MacroPlayAck> {
		try {
			const ack = (await desktopSocket()
				.timeout(ACK_MS)
				.emitWithAck('macro:play', { macroId, consoleIds })) as MacroPlayAck;
			if (ack.ok) this.#onRun(ack.run);
			return ack;
		} catch {
			return { ok: false, error: 'The server did not answer; check the connection and try again.' };
		}
	}

	async stop(runId: string): Promise<ConsoleAck> {
		try {
			return (await desktopSocket().timeout(ACK_MS).emitWithAck('macro:stop', { runId })) as ConsoleAck;
		} catch {
			return { ok: false, error: 'The server did not answer; try again.' };
		}
	}

	/** Forget a finished run in this tab. */
	dismiss(runId: string): void {
		this.runs = this.runs.filter((r) => r.runId !== runId || r.state === 'running');
	}

	find(runId: string): MacroRun | undefined {
		return this.runs.find((r) => r.runId === runId);
	}
}

export const macros = new MacroStore();
