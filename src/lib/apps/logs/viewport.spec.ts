import { describe, expect, it } from 'vitest';
import {
	MAX_SCROLL_PX,
	atBottom,
	isScaled,
	maxTop,
	revealTop,
	scrollFromTop,
	spacerHeight,
	topFromScroll,
	visibleRows
} from './viewport';

const small = { total: 1000, rowHeight: 18, viewHeight: 180 };
// 50 million lines: far more pixels than a browser gives one element.
const huge = { total: 50_000_000, rowHeight: 18, viewHeight: 900 };

describe('virtual scroll geometry', () => {
	it('maps pixels to lines one to one when the file fits', () => {
		expect(visibleRows(small)).toBe(10);
		expect(maxTop(small)).toBe(990);
		expect(isScaled(small)).toBe(false);
		expect(spacerHeight(small)).toBe(18_000);
		expect(topFromScroll(18 * 42, small)).toBe(42);
		expect(scrollFromTop(42, small)).toBe(18 * 42);
		expect(topFromScroll(1e9, small)).toBe(990);
	});

	it('scales a huge file onto a bounded scrollbar that still reaches both ends', () => {
		expect(isScaled(huge)).toBe(true);
		expect(spacerHeight(huge)).toBe(MAX_SCROLL_PX);
		const range = MAX_SCROLL_PX - huge.viewHeight;
		expect(topFromScroll(0, huge)).toBe(0);
		expect(topFromScroll(range, huge)).toBe(maxTop(huge));
		expect(topFromScroll(range / 2, huge)).toBe(Math.round(maxTop(huge) / 2));
		// Round trip: the line a position shows comes back to (about) the same position.
		const top = 31_415_926;
		expect(Math.abs(topFromScroll(scrollFromTop(top, huge), huge) - top)).toBeLessThan(10);
	});

	it('shows a short file without a scroll range', () => {
		const g = { total: 3, rowHeight: 18, viewHeight: 400 };
		expect(maxTop(g)).toBe(0);
		expect(spacerHeight(g)).toBe(400);
		expect(topFromScroll(50, g)).toBe(0);
		expect(atBottom(0, g)).toBe(true);
	});

	it('reveals a line without moving when it is on screen, and near the top third otherwise', () => {
		expect(revealTop(105, 100, small)).toBe(100);
		expect(revealTop(500, 100, small)).toBe(497);
		expect(revealTop(2, 100, small)).toBe(0);
		expect(revealTop(999, 0, small)).toBe(990);
	});
});
