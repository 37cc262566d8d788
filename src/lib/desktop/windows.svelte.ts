import type { Layout, WindowState } from '$protocol/desktop';
import { findApp, type AppDefinition } from './app-registry';

export type Theme = Layout['theme'];
export type ResizeEdge = 'n' | 's' | 'e' | 'w' | 'ne' | 'nw' | 'se' | 'sw';

export const MIN_WIDTH = 280;
export const MIN_HEIGHT = 160;
/** Below this width the desktop shows one app full-screen at a time (the tablet view). */
export const NARROW_BREAKPOINT = 900;
/** How much of a window must stay on screen so it can always be grabbed again. */
const KEEP_VISIBLE = 96;
const TITLEBAR_H = 36;

interface Rect {
	x: number;
	y: number;
	width: number;
	height: number;
}

/**
 * The state of one user's desktop: open windows, their order and geometry, and the theme.
 * Every change calls `onChange`, which the desktop debounces into a save on the server.
 */
export class WindowManager {
	windows = $state<WindowState[]>([]);
	activeId = $state<string | null>(null);
	theme = $state<Theme>('system');
	/** The area windows live in (the screen minus the taskbar). */
	area = $state({ width: 1280, height: 760 });

	readonly narrow = $derived(this.area.width < NARROW_BREAKPOINT);
	/** Windows in taskbar order (the order they were opened). */
	readonly ordered = $derived([...this.windows]);
	readonly active = $derived(this.windows.find((w) => w.id === this.activeId) ?? null);

	#allowed: (app: AppDefinition) => boolean;
	#onChange: () => void;
	#seq = 0;

	constructor(opts: { allowed: (app: AppDefinition) => boolean; onChange: () => void }) {
		this.#allowed = opts.allowed;
		this.#onChange = opts.onChange;
	}

	/** Restores a saved layout, dropping windows of apps that no longer exist or the user may no longer use. */
	restore(layout: Layout | null): void {
		if (!layout) return;
		this.theme = layout.theme;
		this.windows = layout.windows.filter((w) => {
			const app = findApp(w.app);
			return app !== undefined && this.#allowed(app);
		});
		this.activeId = this.windows.some((w) => w.id === layout.activeId) ? layout.activeId : null;
		this.#renumber();
	}

	snapshot(): Layout {
		return {
			version: 1,
			windows: this.windows.map((w) => ({ ...w, props: w.props ? { ...w.props } : undefined })),
			activeId: this.activeId,
			theme: this.theme
		};
	}

	get(id: string): WindowState | undefined {
		return this.windows.find((w) => w.id === id);
	}

	open(appId: string, props?: Record<string, unknown>): string | null {
		const app = findApp(appId);
		if (!app || !this.#allowed(app)) return null;
		if (this.windows.length >= 50) return null;
		const id = `${app.id}-${Date.now().toString(36)}-${(this.#seq++).toString(36)}`;
		const width = Math.min(app.defaultSize.width, Math.max(MIN_WIDTH, this.area.width - 40));
		const height = Math.min(app.defaultSize.height, Math.max(MIN_HEIGHT, this.area.height - 40));
		// Cascade new windows so they never stack exactly on top of each other.
		const step = (this.windows.filter((w) => w.state !== 'minimized').length % 8) * 28;
		const x = Math.max(0, Math.min((this.area.width - width) / 2 - 100 + step, this.area.width - width));
		const y = Math.max(0, Math.min(40 + step, this.area.height - height));
		this.windows.push({
			id,
			app: app.id,
			title: app.title,
			x: Math.round(x),
			y: Math.round(y),
			width,
			height,
			z: this.#topZ() + 1,
			state: 'normal',
			props: props ?? {}
		});
		this.activeId = id;
		this.#onChange();
		return id;
	}

	focus(id: string): void {
		const w = this.get(id);
		if (!w) return;
		let changed = false;
		if (w.state === 'minimized') {
			w.state = w.restoreTo ?? 'normal';
			changed = true;
		}
		if (this.activeId !== id || w.z !== this.#topZ()) {
			w.z = this.#topZ() + 1;
			this.activeId = id;
			this.#renumber();
			changed = true;
		}
		if (changed) this.#onChange();
	}

	close(id: string): void {
		const i = this.windows.findIndex((w) => w.id === id);
		if (i < 0) return;
		this.windows.splice(i, 1);
		if (this.activeId === id) this.activeId = this.#topVisible()?.id ?? null;
		this.#onChange();
	}

	minimize(id: string): void {
		const w = this.get(id);
		if (!w || w.state === 'minimized') return;
		w.restoreTo = w.state;
		w.state = 'minimized';
		if (this.activeId === id) this.activeId = this.#topVisible()?.id ?? null;
		this.#onChange();
	}

	toggleMaximize(id: string): void {
		const w = this.get(id);
		if (!w) return;
		w.state = w.state === 'maximized' ? 'normal' : 'maximized';
		this.focus(id);
		this.#onChange();
	}

	/** Taskbar click: bring a window forward, or minimise it when it already is the front window. */
	toggleFromTaskbar(id: string): void {
		const w = this.get(id);
		if (!w) return;
		if (this.activeId === id && w.state !== 'minimized' && !this.narrow) this.minimize(id);
		else this.focus(id);
	}

	/** Moves keyboard focus to the next (+1) or previous (-1) window in taskbar order, restoring it. */
	cycle(dir: 1 | -1): void {
		if (this.windows.length === 0) return;
		const i = this.windows.findIndex((w) => w.id === this.activeId);
		const next = this.windows[(i + dir + this.windows.length) % this.windows.length];
		this.focus(next.id);
	}

	move(id: string, x: number, y: number): void {
		const w = this.get(id);
		if (!w || w.state !== 'normal') return;
		const c = this.#clampPosition({ x, y, width: w.width, height: w.height });
		w.x = c.x;
		w.y = c.y;
		this.#onChange();
	}

	/** Resizes from an edge or corner given the geometry when the drag started and the pointer delta. */
	resize(id: string, edge: ResizeEdge, start: Rect, dx: number, dy: number): void {
		const w = this.get(id);
		if (!w || w.state !== 'normal') return;
		let { x, y, width, height } = start;
		if (edge.includes('e')) width = Math.max(MIN_WIDTH, start.width + dx);
		if (edge.includes('s')) height = Math.max(MIN_HEIGHT, start.height + dy);
		if (edge.includes('w')) {
			width = Math.max(MIN_WIDTH, start.width - dx);
			x = start.x + start.width - width;
		}
		if (edge.includes('n')) {
			const top = Math.max(0, start.y + dy);
			height = Math.max(MIN_HEIGHT, start.y + start.height - top);
			y = start.y + start.height - height;
		}
		w.x = Math.round(x);
		w.y = Math.round(y);
		w.width = Math.round(Math.min(width, 10000));
		w.height = Math.round(Math.min(height, 10000));
		this.#onChange();
	}

	setTitle(id: string, title: string): void {
		const w = this.get(id);
		if (!w || w.title === title) return;
		w.title = title.slice(0, 200);
		this.#onChange();
	}

	setProps(id: string, props: Record<string, unknown>): void {
		const w = this.get(id);
		if (!w) return;
		w.props = { ...w.props, ...props };
		this.#onChange();
	}

	setTheme(theme: Theme): void {
		this.theme = theme;
		this.#onChange();
	}

	/** Keeps every window reachable after the screen got smaller. */
	setArea(width: number, height: number): void {
		this.area = { width, height };
		for (const w of this.windows) {
			const c = this.#clampPosition(w);
			w.x = c.x;
			w.y = c.y;
		}
	}

	#clampPosition(r: Rect): { x: number; y: number } {
		const maxX = Math.max(0, this.area.width - KEEP_VISIBLE);
		const minX = Math.min(0, KEEP_VISIBLE - r.width);
		const maxY = Math.max(0, this.area.height - TITLEBAR_H);
		return {
			x: Math.round(Math.min(maxX, Math.max(minX, r.x))),
			y: Math.round(Math.min(maxY, Math.max(0, r.y)))
		};
	}

	#topZ(): number {
		return this.windows.reduce((m, w) => Math.max(m, w.z), 0);
	}

	#topVisible(): WindowState | undefined {
		return this.windows.filter((w) => w.state !== 'minimized').sort((a, b) => b.z - a.z)[0];
	}

	/** Keeps z small and dense (1…n) so it never grows without bound across sessions. */
	#renumber(): void {
		[...this.windows].sort((a, b) => a.z - b.z).forEach((w, i) => (w.z = i + 1));
	}
}
