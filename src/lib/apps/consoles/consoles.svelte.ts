import { trpc } from '$lib/trpc';
import { desktopSocket } from '$lib/realtime';
import { Loader } from '$lib/components/async.svelte';
import type { Action } from '$protocol/permissions';
import type { ConsoleRoomState } from '$protocol/consoles';
import type { ConsoleSummary } from './types';

const REFRESH_MS = 15_000;

/**
 * The console list and the signed-in user, shared by every Consoles window. The list refreshes while a
 * window is open (pipe states change without this user being in the room) and when the connection returns.
 */
class ConsolesSession {
	readonly list = new Loader<ConsoleSummary[]>(() => trpc.consoles.list.query({ limit: 2000 }));
	readonly me = new Loader<{ id: number; username: string; actions: Action[] }>(() =>
		trpc.desktop.me.query()
	);
	connected = $state(false);

	#windows = 0;
	#timer: ReturnType<typeof setInterval> | undefined;

	#onConnect = () => {
		this.connected = true;
		void this.list.load();
	};
	#onDisconnect = () => {
		this.connected = false;
	};
	/** A room this tab is in changed state: show it in the list at once. */
	#onRoom = (r: ConsoleRoomState) => {
		const c = this.list.data?.find((x) => x.id === r.consoleId);
		if (c) {
			c.state = r.state;
			c.message = r.message;
		}
	};

	/** A Consoles window opened; returns the function to call when it closes. */
	start(): () => void {
		void this.list.load();
		if (!this.me.data) void this.me.load();
		if (this.#windows++ === 0) {
			const s = desktopSocket();
			s.on('connect', this.#onConnect);
			s.on('disconnect', this.#onDisconnect);
			s.on('console:room', this.#onRoom);
			this.connected = s.connected;
			this.#timer = setInterval(() => {
				if (document.visibilityState === 'visible') void this.list.load();
			}, REFRESH_MS);
		}
		let stopped = false;
		return () => {
			if (stopped) return;
			stopped = true;
			if (--this.#windows > 0) return;
			const s = desktopSocket();
			s.off('connect', this.#onConnect);
			s.off('disconnect', this.#onDisconnect);
			s.off('console:room', this.#onRoom);
			clearInterval(this.#timer);
		};
	}

	can(action: Action): boolean {
		return this.me.data?.actions.includes(action) ?? false;
	}

	/** Show a change at once (the list is fetched again too, but a dialog may reopen before it returns). */
	patch(id: number, fields: Partial<ConsoleSummary>): void {
		const c = this.find(id);
		if (c) Object.assign(c, fields);
		void this.list.load();
	}

	find(id: number): ConsoleSummary | undefined {
		return this.list.data?.find((c) => c.id === id);
	}
}

export const consoles = new ConsolesSession();
