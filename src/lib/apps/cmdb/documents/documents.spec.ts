import { describe, expect, it } from 'vitest';
import { formatBytes, guessCategory } from './documents';

describe('documents helpers', () => {
	it('formats sizes', () => {
		expect(formatBytes(512)).toBe('512 B');
		expect(formatBytes(1536)).toBe('1.5 KB');
		expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
		expect(formatBytes(1.25 * 1024 * 1024)).toBe('1.3 MB');
		expect(formatBytes(150 * 1024 * 1024)).toBe('150 MB');
	});
	it('guesses a category from the file', () => {
		expect(guessCategory({ name: 'rack.jpg', type: 'image/jpeg' })).toBe('photo');
		expect(guessCategory({ name: 'Screenshot 2024.png', type: 'image/png' })).toBe('screenshot');
		expect(guessCategory({ name: 'R740 Owners Manual.pdf', type: 'application/pdf' })).toBe('manual');
		expect(guessCategory({ name: 'floor2.dwg', type: '' })).toBe('drawing');
		expect(guessCategory({ name: 'x.bin', type: '' })).toBe('other');
	});
});
