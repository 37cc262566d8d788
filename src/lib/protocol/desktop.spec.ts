import { describe, expect, it } from 'vitest';
import { layoutSchema, sendNotificationInput } from './desktop';

describe('desktop protocol', () => {
	it('accepts a saved layout and refuses a window without a size', () => {
		const win = {
			id: 'w1',
			app: 'about',
			x: 10,
			y: 10,
			width: 400,
			height: 300,
			z: 1,
			state: 'normal' as const
		};
		expect(layoutSchema.parse({ version: 1, windows: [win], activeId: 'w1' }).theme).toBe('system');
		expect(
			layoutSchema.safeParse({ version: 1, windows: [{ ...win, width: undefined }], activeId: null }).success
		).toBe(false);
	});
	it('explains a notification without a title', () => {
		const r = sendNotificationInput.safeParse({ audience: { type: 'all' }, title: '  ' });
		expect(r.success).toBe(false);
		expect(r.error!.issues[0].message).toBe('Give the notification a title');
	});
});
