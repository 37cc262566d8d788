import { fitView } from './layout';

type Point = { x: number; y: number };

/**
 * Pan and zoom of the graph pane. One pointer pans, two pinch, the wheel zooms at the cursor. A press
 * that moves more than a few pixels is a drag, not a click, so it doesn't open the box it started on.
 */
export class Viewport {
	/** Offset (px) and scale of the drawing in the pane. */
	view = $state({ x: 0, y: 0, k: 1 });
	/**
	 * The scale the SVG is drawn at. During a zoom gesture only a CSS scale changes (cheap, a little
	 * blurry); once the gesture pauses the SVG is redrawn at the new scale, sharp again.
	 */
	drawnK = $state(1);
	panning = $state(false);
	/** The press that just ended moved: it was a drag. */
	dragged = false;
	/** The user panned or zoomed: resizing the pane leaves the view alone. */
	touched = false;

	#redraw: ReturnType<typeof setTimeout> | undefined;
	// Bookkeeping for the gesture in progress, not state: nothing on screen depends on it directly.
	#pointers: Record<number, Point> = {};
	#moved = 0;
	#pinch: number | null = null;

	fit(width: number, height: number, paneWidth: number, paneHeight: number): void {
		// Writes only: effects that call this must not depend on what it sets.
		const v = fitView(width, height, paneWidth, paneHeight);
		clearTimeout(this.#redraw);
		this.touched = false;
		this.view = v;
		this.drawnK = v.k;
	}

	zoom(factor: number, cx: number, cy: number): void {
		this.touched = true;
		const { x, y, k: k0 } = this.view;
		const k = Math.min(4, Math.max(0.02, k0 * factor));
		const f = k / k0;
		this.view = { k, x: cx - (cx - x) * f, y: cy - (cy - y) * f };
		clearTimeout(this.#redraw);
		this.#redraw = setTimeout(() => (this.drawnK = this.view.k), 160);
	}

	wheel(e: WheelEvent, at: Point): void {
		e.preventDefault();
		const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
		this.zoom(Math.exp(-delta * 0.0015), at.x, at.y);
	}

	#down = () => Object.values(this.#pointers);

	pointerDown(e: PointerEvent, at: Point): void {
		if (e.button !== 0 && e.pointerType === 'mouse') return;
		this.#pointers[e.pointerId] = at;
		const down = this.#down();
		if (down.length === 1) {
			this.#moved = 0;
			this.dragged = false;
		}
		if (down.length === 2) this.#pinch = Math.hypot(down[0].x - down[1].x, down[0].y - down[1].y);
	}

	/** `capture` takes the pointer once a drag starts, so the drag goes on outside the pane. */
	pointerMove(e: PointerEvent, at: Point, capture: () => void): void {
		const prev = this.#pointers[e.pointerId];
		if (!prev) return;
		this.#pointers[e.pointerId] = at;
		const down = this.#down();
		if (down.length === 1) {
			const dx = at.x - prev.x;
			const dy = at.y - prev.y;
			this.#moved += Math.abs(dx) + Math.abs(dy);
			if (this.#moved > 5 && !this.dragged) {
				this.dragged = true;
				this.panning = true;
				try {
					capture();
				} catch {
					// The pointer is already gone (lifted between events): nothing to capture.
				}
			}
			if (this.dragged) {
				this.touched = true;
				this.view = { ...this.view, x: this.view.x + dx, y: this.view.y + dy };
			}
		} else if (down.length === 2 && this.#pinch !== null) {
			this.dragged = true;
			const [a, b] = down;
			const d = Math.hypot(a.x - b.x, a.y - b.y);
			if (this.#pinch > 0) this.zoom(d / this.#pinch, (a.x + b.x) / 2, (a.y + b.y) / 2);
			this.#pinch = d;
		}
	}

	pointerUp(e: PointerEvent): void {
		delete this.#pointers[e.pointerId];
		const left = this.#down().length;
		if (left < 2) this.#pinch = null;
		if (left === 0) this.panning = false;
	}

	dispose(): void {
		clearTimeout(this.#redraw);
	}
}
