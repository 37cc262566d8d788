/**
 * The tab a key moves to in a tab list (role="tablist") of `count` tabs, from the tab at `index`: Arrow
 * Right / Left to the next / previous (wrapping round), Home and End to the first and last; -1 for any
 * other key.
 */
export function tabKeyIndex(key: string, index: number, count: number): number {
	switch (key) {
		case 'ArrowRight':
			return (index + 1) % count;
		case 'ArrowLeft':
			return (index - 1 + count) % count;
		case 'Home':
			return 0;
		case 'End':
			return count - 1;
		default:
			return -1;
	}
}
