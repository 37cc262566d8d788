// What a Consoles window shows, saved in its props so a reload (or another browser) comes back to it.

export interface ConsolesView {
	/** Consoles open as tabs, in tab order. */
	tabs: number[];
	/** The tab in front (one of `tabs`), or null for none. */
	active: number | null;
	/** A replay window: the console whose access log it plays (then `tabs` is empty). */
	replay: number | null;
	/** Whether the picker is shown beside the terminals. */
	picker: boolean;
}

/** Tabs per window: each is a live xterm with its own buffer. */
export const MAX_TABS = 12;

function id(v: unknown): number | null {
	const n = typeof v === 'string' ? Number(v) : v;
	return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

/** The view saved in a window's props; anything unknown or damaged falls back to the empty picker. */
export function parseView(props: Record<string, unknown>): ConsolesView {
	const replay = id(props.replay);
	const raw = Array.isArray(props.tabs) ? props.tabs : props.console !== undefined ? [props.console] : [];
	const tabs = [...new Set(raw.map(id).filter((n): n is number => n !== null))].slice(0, MAX_TABS);
	const active = id(props.active);
	return {
		tabs: replay ? [] : tabs,
		active: active !== null && tabs.includes(active) ? active : (tabs.at(-1) ?? null),
		replay,
		picker: typeof props.picker === 'boolean' ? props.picker : tabs.length === 0
	};
}

/** Every key is written: the desktop merges props into the old ones. */
export function viewProps(v: ConsolesView): Record<string, unknown> {
	return { tabs: v.tabs, active: v.active, replay: v.replay, picker: v.picker, console: undefined };
}

export function openTab(v: ConsolesView, consoleId: number): ConsolesView {
	if (v.tabs.includes(consoleId)) return { ...v, active: consoleId };
	const tabs = [...v.tabs, consoleId].slice(-MAX_TABS);
	return { ...v, tabs, active: consoleId };
}

export function closeTab(v: ConsolesView, consoleId: number): ConsolesView {
	const i = v.tabs.indexOf(consoleId);
	if (i < 0) return v;
	const tabs = v.tabs.filter((t) => t !== consoleId);
	const active = v.active === consoleId ? (tabs[Math.min(i, tabs.length - 1)] ?? null) : v.active;
	return { ...v, tabs, active, picker: tabs.length === 0 ? true : v.picker };
}
