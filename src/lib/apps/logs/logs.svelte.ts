import { trpc } from '$lib/trpc';
import { desktopSocket } from '$lib/realtime';
import { Loader } from '$lib/components/async.svelte';
import type { AgentStatusEvent } from '$protocol/agent';
import type { Action } from '$protocol/permissions';
import type { LogEventView } from '$protocol/logs';
import { parseSource, sourceKey, sourceProps, type ViewSource } from './source';
import type { LogDevice, Me } from './types';

const RECENT_KEY = 'fleetdesk.logs.recent';
const MAX_RECENT = 12;
const MAX_EVENTS = 500;

export interface RecentSource {
	source: ViewSource;
	label: string;
	at: string;
}

/**
 * What every Logs window shares: the user, the devices whose logs they may read, the live events, the
 * recently opened sources. One socket listener however many windows are open, attached while one is.
 */
class LogsSession {
	readonly me = new Loader<Me>(() => trpc.desktop.me.query());
	readonly devices = new Loader<LogDevice[]>(() => trpc.logs.devices.query());
	/** Newest first; live events are merged in by id (a folded flood keeps its id and counts up). */
	events = $state<LogEventView[]>([]);
	eventsLoading = $state(false);
	eventsError = $state('');
	live = $state(false);
	recent = $state<RecentSource[]>([]);

	#windows = 0;
	#reloadTimer: ReturnType<typeof setTimeout> | undefined;

	#onEvent = (e: LogEventView) => {
		const i = this.events.findIndex((x) => x.id === e.id);
		if (i >= 0) this.events[i] = e;
		else this.events = [e, ...this.events].slice(0, MAX_EVENTS);
	};
	/**
	 * An agent connected, dropped or was revoked (sent to users with agents.read; others see it at the picker's
	 * next poll). The dot changes at once; the list is read again for what the event does not carry (a device
	 * just enrolled, what the agent reported it may read), and the pickers ask the agent again.
	 */
	#onAgentStatus = (e: AgentStatusEvent) => {
		const d = this.devices.data?.find((x) => x.agentId === e.agentId);
		if (d && !e.revoked) d.online = e.online;
		this.#reloadDevicesSoon();
	};
	#onConnect = () => {
		this.live = true;
		// Events raised while disconnected were not pushed: read the lists again.
		void this.loadEvents();
		this.#reloadDevicesSoon();
	};
	#onDisconnect = () => {
		this.live = false;
	};

	start(): () => void {
		if (!this.me.data) void this.me.load();
		void this.devices.load();
		if (this.#windows++ === 0) {
			this.recent = readRecent();
			void this.loadEvents();
			const s = desktopSocket();
			s.on('logs:event', this.#onEvent);
			s.on('agent:status', this.#onAgentStatus);
			s.on('connect', this.#onConnect);
			s.on('disconnect', this.#onDisconnect);
			this.live = s.connected;
		}
		let stopped = false;
		return () => {
			if (stopped) return;
			stopped = true;
			if (--this.#windows > 0) return;
			const s = desktopSocket();
			s.off('logs:event', this.#onEvent);
			s.off('agent:status', this.#onAgentStatus);
			clearTimeout(this.#reloadTimer);
			s.off('connect', this.#onConnect);
			s.off('disconnect', this.#onDisconnect);
		};
	}

	/** Several agents coming up together make one read of the list. */
	#reloadDevicesSoon(ms = 300): void {
		clearTimeout(this.#reloadTimer);
		this.#reloadTimer = setTimeout(() => void this.devices.load(), ms);
	}

	async loadEvents(): Promise<void> {
		this.eventsLoading = true;
		try {
			this.events = await trpc.logs.events.list.query({ limit: 200 });
			this.eventsError = '';
		} catch (e) {
			this.eventsError = e instanceof Error ? e.message : 'The events could not be loaded.';
		} finally {
			this.eventsLoading = false;
		}
	}

	can(action: Action): boolean {
		return this.me.data?.actions.includes(action) ?? false;
	}

	device(id: number): LogDevice | undefined {
		return this.devices.data?.find((d) => d.deviceId === id);
	}

	/** Remembers a source this user opened (in this browser), newest first. */
	remember(source: ViewSource, label: string): void {
		const key = sourceKey(source);
		const list = [
			{ source, label, at: new Date().toISOString() },
			...this.recent.filter((r) => sourceKey(r.source) !== key)
		].slice(0, MAX_RECENT);
		this.recent = list;
		try {
			localStorage.setItem(RECENT_KEY, JSON.stringify(list));
		} catch {
			// Private mode or full storage: the list lives for this page only.
		}
	}
}

function readRecent(): RecentSource[] {
	try {
		const raw: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
		if (!Array.isArray(raw)) return [];
		// Written by an older version, or by hand: keep only what still parses.
		return (raw as Partial<RecentSource>[])
			.map((r) => ({ ...r, source: r?.source ? parseSource(sourceProps(r.source)) : null }))
			.filter(
				(r): r is RecentSource => r.source !== null && typeof r.label === 'string' && typeof r.at === 'string'
			)
			.slice(0, MAX_RECENT);
	} catch {
		return [];
	}
}

export const logs = new LogsSession();
