import { trpc } from '$lib/trpc';
import { desktopSocket } from '$lib/realtime';
import { Loader } from '$lib/components/async.svelte';
import type { AgentStatusEvent, InventoryUpdateEvent, TaskUpdateEvent } from '$protocol/agent';
import type { Action } from '$protocol/permissions';
import type { FleetDevice, Gateway, GroupRow, Me } from './types';

type Listener = (e: TaskUpdateEvent) => void;

/**
 * The device list, the signed-in user's permissions and the live fleet events, shared by every Fleet window:
 * one set of socket listeners however many windows are open, attached while at least one is.
 */
class FleetSession {
	readonly devices = new Loader<FleetDevice[]>(() => trpc.fleet.devices.query());
	readonly me = new Loader<Me>(() => trpc.desktop.me.query());
	readonly groups = new Loader<GroupRow[]>(() => trpc.groups.list.query());
	readonly gateway = new Loader<Gateway>(() => trpc.fleet.gateway.query());
	/** Whether live updates are arriving (the /desktop connection is up). */
	live = $state(false);

	#windows = 0;
	#taskListeners = new Set<Listener>();
	#inventoryListeners = new Set<(e: InventoryUpdateEvent) => void>();
	#reloadTimer: ReturnType<typeof setTimeout> | undefined;
	#refresh: ReturnType<typeof setInterval> | undefined;

	#socket() {
		return desktopSocket();
	}

	#onStatus = (e: AgentStatusEvent) => {
		const d = this.devices.data?.find((x) => x.agentId === e.agentId);
		// A device we have not seen (just enrolled): fetch the list again rather than guess its row.
		if (!d) return this.#reloadSoon();
		// Connecting also changes what the event does not carry (address, version, OS): read the row again.
		if (e.online && !d.online) this.#reloadSoon();
		d.online = e.online;
		d.revoked = e.revoked;
		d.lastSeenAt = e.lastSeenAt;
		if (e.revoked) d.canRunTasks = false;
	};

	#onTask = (e: TaskUpdateEvent) => {
		// A finished inventory task means a new "last inventory" time for its device.
		if (e.kind === 'inventory' && e.state === 'succeeded') this.#reloadSoon(1500);
		for (const l of this.#taskListeners) l(e);
	};

	#onInventory = (e: InventoryUpdateEvent) => {
		this.#reloadSoon(1000);
		for (const l of this.#inventoryListeners) l(e);
	};

	#onConnect = () => {
		this.live = true;
		// Events sent while we were disconnected are gone: catch up.
		this.#reloadSoon();
	};

	#onDisconnect = () => {
		this.live = false;
	};

	#reloadSoon(ms = 300): void {
		clearTimeout(this.#reloadTimer);
		this.#reloadTimer = setTimeout(() => void this.devices.load(), ms);
	}

	/** A Fleet window opened: refresh everything and listen. Returns the function to call when it closes. */
	start(): () => void {
		void this.devices.load();
		void this.me.load();
		void this.groups.load();
		void this.gateway.load();
		if (this.#windows++ === 0) {
			const s = this.#socket();
			s.on('agent:status', this.#onStatus);
			s.on('task:update', this.#onTask);
			s.on('inventory:update', this.#onInventory);
			s.on('connect', this.#onConnect);
			s.on('disconnect', this.#onDisconnect);
			this.live = s.connected;
			// Events missed while the tab slept: refresh now and then.
			this.#refresh = setInterval(() => {
				if (document.visibilityState === 'visible') void this.devices.load();
			}, 60_000);
		}
		let stopped = false;
		return () => {
			if (stopped) return;
			stopped = true;
			if (--this.#windows > 0) return;
			const s = this.#socket();
			s.off('agent:status', this.#onStatus);
			s.off('task:update', this.#onTask);
			s.off('inventory:update', this.#onInventory);
			s.off('connect', this.#onConnect);
			s.off('disconnect', this.#onDisconnect);
			clearInterval(this.#refresh);
			clearTimeout(this.#reloadTimer);
		};
	}

	/** Calls `fn` for every task update until the returned function is called. */
	/** Calls `fn` whenever a host's inventory has been taken into the CMDB; returns the unsubscribe function. */
	onInventoryUpdate(fn: (e: InventoryUpdateEvent) => void): () => void {
		this.#inventoryListeners.add(fn);
		return () => this.#inventoryListeners.delete(fn);
	}

	onTaskUpdate(fn: Listener): () => void {
		this.#taskListeners.add(fn);
		return () => this.#taskListeners.delete(fn);
	}

	can(action: Action): boolean {
		return this.me.data?.actions.includes(action) ?? false;
	}

	device(key: string): FleetDevice | undefined {
		return this.devices.data?.find((d) => d.key === key);
	}
}

export const fleet = new FleetSession();
