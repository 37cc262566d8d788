import { describe, expect, it } from 'vitest';
import { tabKeyIndex } from './tabs';

describe('tab list keys', () => {
	it('move to the next and previous tab, wrapping round', () => {
		expect(tabKeyIndex('ArrowRight', 0, 3)).toBe(1);
		expect(tabKeyIndex('ArrowRight', 2, 3)).toBe(0);
		expect(tabKeyIndex('ArrowLeft', 1, 3)).toBe(0);
		expect(tabKeyIndex('ArrowLeft', 0, 3)).toBe(2);
	});
	it('jump to the first and last tab', () => {
		expect(tabKeyIndex('Home', 2, 3)).toBe(0);
		expect(tabKeyIndex('End', 0, 3)).toBe(2);
	});
	it('ignore other keys', () => {
		expect(tabKeyIndex('Enter', 1, 3)).toBe(-1);
		expect(tabKeyIndex('ArrowDown', 1, 3)).toBe(-1);
	});
});
