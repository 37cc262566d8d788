import type { Page } from '@playwright/test';
import { expect, mutate, signIn, test, windowBox } from './helpers';

/** Every test starts from an empty desktop: the layout is per user and outlives a test. */
async function freshDesktop(page: Page) {
	await signIn(page);
	await mutate(page.request, 'desktop.saveLayout', {
		version: 1,
		windows: [],
		activeId: null,
		theme: 'light'
	});
	await page.reload();
	await expect(page.getByTestId('taskbar')).toBeVisible();
	await expect(page.getByTestId('window')).toHaveCount(0);
}

function savedAfter(page: Page) {
	return page.waitForResponse((r) => r.url().includes('desktop.saveLayout') && r.ok());
}

async function drag(page: Page, from: { x: number; y: number }, dx: number, dy: number) {
	await page.mouse.move(from.x, from.y);
	await page.mouse.down();
	await page.mouse.move(from.x + dx / 2, from.y + dy / 2, { steps: 4 });
	await page.mouse.move(from.x + dx, from.y + dy, { steps: 4 });
	await page.mouse.up();
}

test.describe('desktop at 1440×900', () => {
	test.use({ viewport: { width: 1440, height: 900 } });

	test('two apps; drag, resize, minimise, restore, maximise; the layout survives a reload', async ({
		page
	}) => {
		await freshDesktop(page);

		await page.getByRole('button', { name: 'About Fleetdesk' }).click();
		await page.getByRole('button', { name: 'Open launcher' }).click();
		await page.getByTestId('launcher').getByRole('button', { name: 'Users & Access' }).click();
		await expect(page.getByTestId('window')).toHaveCount(2);
		await expect(page.locator('[data-app="about"]').getByTestId('about-database')).toHaveText(
			'Embedded (PGlite)'
		);

		// A click brings the About window to the front.
		const about = page.locator('[data-testid="window"][data-app="about"]');
		const admin = page.locator('[data-testid="window"][data-app="admin"]');
		await about.getByTestId('titlebar').click({ position: { x: 60, y: 10 } });
		const zAbout = Number(await about.evaluate((el) => getComputedStyle(el).zIndex));
		const zAdmin = Number(await admin.evaluate((el) => getComputedStyle(el).zIndex));
		expect(zAbout).toBeGreaterThan(zAdmin);

		// Drag by the title bar.
		let { box } = await windowBox(page, 'about');
		await drag(page, { x: box.x + 80, y: box.y + 15 }, 180, 90);
		const moved = (await windowBox(page, 'about')).box;
		expect(moved.x).toBeCloseTo(box.x + 180, -1);
		expect(moved.y).toBeCloseTo(box.y + 90, -1);

		// Resize from the bottom-right corner, then from the left edge.
		const se = await about.getByTestId('resize-se').boundingBox();
		await drag(page, { x: se!.x + se!.width / 2, y: se!.y + se!.height / 2 }, 120, 70);
		box = (await windowBox(page, 'about')).box;
		expect(box.width).toBeCloseTo(moved.width + 120, -1);
		expect(box.height).toBeCloseTo(moved.height + 70, -1);
		const w = await about.getByTestId('resize-w').boundingBox();
		await drag(page, { x: w!.x + w!.width / 2, y: w!.y + w!.height / 2 }, -60, 0);
		const resized = (await windowBox(page, 'about')).box;
		expect(resized.width).toBeCloseTo(box.width + 60, -1);
		expect(resized.x).toBeCloseTo(box.x - 60, -1);

		// Minimise to the taskbar, then restore from it.
		await about.getByRole('button', { name: 'Minimise' }).click();
		await expect(about).toBeHidden();
		const task = page.getByTestId('task').filter({ hasText: 'About Fleetdesk' });
		await expect(task).toHaveAttribute('aria-pressed', 'false');
		await task.click();
		await expect(about).toBeVisible();
		expect((await windowBox(page, 'about')).box).toEqual(resized);

		// Maximise fills the desktop above the taskbar; restore puts it back.
		await about.getByRole('button', { name: 'Maximise' }).click();
		const taskbar = (await page.getByTestId('taskbar').boundingBox())!;
		const max = (await windowBox(page, 'about')).box;
		expect(max).toMatchObject({ x: 0, y: 0, width: 1440 });
		expect(max.height).toBeCloseTo(taskbar.y, 0);
		await about.getByRole('button', { name: 'Restore' }).click();
		expect((await windowBox(page, 'about')).box).toEqual(resized);

		// Maximise the admin window and minimise nothing else; reload and everything is where it was.
		const saved = savedAfter(page);
		await admin.getByRole('button', { name: 'Maximise' }).click();
		await saved;
		const adminMax = (await windowBox(page, 'admin')).box;
		await page.reload();
		await expect(page.getByTestId('window')).toHaveCount(2);
		expect((await windowBox(page, 'about')).box).toEqual(resized);
		expect((await windowBox(page, 'admin')).box).toEqual(adminMax);
		await expect(admin.getByRole('button', { name: 'Restore' })).toBeVisible();

		// The layout is stored on the server, so another browser gets it too.
		const other = await page
			.context()
			.browser()!
			.newContext({ viewport: { width: 1440, height: 900 } });
		const second = await other.newPage();
		await signIn(second);
		await expect(second.getByTestId('window')).toHaveCount(2);
		expect((await windowBox(second, 'about')).box).toEqual(resized);
		await other.close();

		await page.screenshot({ path: 'test-results/screenshots/desktop-1440x900.png' });
	});

	test('several windows of one app, and keyboard control without a mouse', async ({ page }) => {
		await freshDesktop(page);

		for (let i = 0; i < 2; i++) {
			await page.keyboard.press('Alt+KeyL');
			await expect(page.getByTestId('launcher')).toBeVisible();
			await page.keyboard.type('about');
			await page.keyboard.press('Enter');
			await expect(page.getByTestId('launcher')).toBeHidden();
		}
		const abouts = page.locator('[data-testid="window"][data-app="about"]');
		await expect(abouts).toHaveCount(2);
		const [first, second] = await abouts.evaluateAll((els) =>
			els.map((e) => e.getAttribute('data-window-id'))
		);
		expect(first).not.toEqual(second);

		const isActive = (id: string | null) =>
			page
				.locator(`[data-window-id="${id}"][data-testid="window"]`)
				.evaluate((el) => el.classList.contains('active'));
		expect(await isActive(second)).toBe(true);
		await page.keyboard.press('Alt+BracketRight');
		expect(await isActive(first)).toBe(true);

		await page.keyboard.press('Alt+KeyM');
		await expect(page.locator(`[data-window-id="${first}"][data-testid="window"]`)).toHaveAttribute(
			'data-state',
			'maximized'
		);
		await page.keyboard.press('Alt+KeyM');
		await expect(page.locator(`[data-window-id="${first}"][data-testid="window"]`)).toHaveAttribute(
			'data-state',
			'normal'
		);
		await page.keyboard.press('Alt+KeyN');
		await expect(page.locator(`[data-window-id="${first}"][data-testid="window"]`)).toBeHidden();
		await page.keyboard.press('Alt+Digit1');
		await expect(page.locator(`[data-window-id="${first}"][data-testid="window"]`)).toBeVisible();

		// Arrow keys on a focused title bar move the window.
		const before = (await windowBox(page, 'about', 0)).box;
		await abouts.nth(0).getByTestId('titlebar').focus();
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('ArrowDown');
		const after = (await windowBox(page, 'about', 0)).box;
		expect(after.x).toBe(before.x + 20);
		expect(after.y).toBe(before.y + 20);

		await page.keyboard.press('Alt+KeyW');
		await expect(abouts).toHaveCount(1);
		await page.keyboard.press('Alt+KeyW');
		await expect(abouts).toHaveCount(0);
	});

	test('a notification raised on the server appears live', async ({ page }) => {
		await freshDesktop(page);
		await expect(page.locator('.live:not(.down)')).toBeAttached();
		await mutate(page.request, 'desktop.notify', {
			audience: { type: 'all' },
			title: 'Maintenance at 22:00',
			body: 'Rack 4 power work',
			level: 'warning'
		});
		await expect(page.getByTestId('toast').filter({ hasText: 'Maintenance at 22:00' })).toBeVisible();
		await expect(page.getByTestId('unread-count')).toHaveText(/\d+/);
		await page.getByRole('button', { name: /^Notifications/ }).click();
		await expect(page.getByTestId('notifications').getByText('Rack 4 power work')).toBeVisible();
		await expect(page.getByTestId('unread-count')).toHaveCount(0);

		// Sent from the tray to one role: Administrators receive it.
		await page.getByRole('button', { name: 'Send…' }).click();
		await page.getByLabel('To', { exact: true }).selectOption({ label: 'Role: Administrator' });
		await page.getByLabel('Title').fill('Deploy freeze');
		await page.getByRole('button', { name: 'Send notification' }).click();
		await expect(page.getByTestId('notifications').getByText('Deploy freeze')).toBeVisible();
	});

	test('a desktop link opens its app, in the address bar or from a notification', async ({ page }) => {
		await freshDesktop(page);
		await page.goto('/?app=about');
		await expect(page.locator('[data-testid="window"][data-app="about"]')).toBeVisible();
		await expect(page).toHaveURL(/\/$/);

		await expect(page.locator('.live:not(.down)')).toBeAttached();
		await mutate(page.request, 'desktop.notify', {
			audience: { type: 'all' },
			title: 'Open the admin app',
			link: '/?app=admin'
		});
		const toast = page.getByTestId('toast').filter({ hasText: 'Open the admin app' });
		await toast.getByRole('button', { name: 'Open' }).click();
		await expect(page.locator('[data-testid="window"][data-app="admin"]')).toBeVisible();
		await expect(toast).toHaveCount(0);
		await expect(
			mutate(page.request, 'desktop.notify', {
				audience: { type: 'all' },
				title: 'x',
				link: 'https://evil.example/'
			})
		).rejects.toThrow(/desktop link/);
	});
});

test.describe('tablet at 820×1180', () => {
	test.use({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true });

	test('apps open full-screen, one at a time, with an app switcher', async ({ page }) => {
		await freshDesktop(page);
		await page.getByRole('button', { name: 'About Fleetdesk' }).tap();
		const area = (await page.getByRole('main', { name: 'Desktop' }).boundingBox())!;
		let { box } = await windowBox(page, 'about');
		expect(box).toMatchObject({ x: 0, y: 0, width: 820 });
		expect(box.height).toBeCloseTo(area.height, 0);

		await page.getByRole('button', { name: 'Open launcher' }).tap();
		await page.getByTestId('launcher').getByRole('button', { name: 'Users & Access' }).tap();
		({ box } = await windowBox(page, 'admin'));
		expect(box).toMatchObject({ x: 0, y: 0, width: 820 });
		await expect(page.locator('[data-testid="window"][data-app="about"]')).toBeHidden();
		await page.screenshot({ path: 'test-results/screenshots/tablet-820x1180.png' });

		await page.getByRole('button', { name: 'Switch app' }).tap();
		await expect(page.getByTestId('switcher')).toBeVisible();
		await page.screenshot({ path: 'test-results/screenshots/tablet-switcher.png' });
		await page.getByTestId('switcher').getByRole('button', { name: 'About Fleetdesk', exact: true }).tap();
		await expect(page.locator('[data-testid="window"][data-app="about"]')).toBeVisible();
		await expect(page.locator('[data-testid="window"][data-app="admin"]')).toBeHidden();

		await page
			.locator('[data-testid="window"][data-app="about"]')
			.getByRole('button', { name: 'Close' })
			.tap();
		await expect(page.locator('[data-testid="window"][data-app="about"]')).toHaveCount(0);
	});
});
