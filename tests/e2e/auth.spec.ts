import { ADMIN, expect, mutate, signIn, test } from './helpers';

test('a wrong password is refused, the right one opens the desktop', async ({ page }) => {
	await page.goto('/');
	await expect(page).toHaveURL(/\/login/);
	await page.getByLabel('Username').fill('admin');
	await page.getByLabel('Password').fill('not-the-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByText('Wrong username or password')).toBeVisible();
	await expect(page).toHaveURL(/\/login/);

	await page.getByLabel('Password').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('taskbar')).toBeVisible();
	await expect(page).toHaveURL(/\/$/);
});

test('a Viewer does not see the admin app and its API calls are refused', async ({ page, browser }) => {
	await signIn(page);
	await mutate(page.request, 'users.create', {
		username: 'e2e-viewer',
		password: 'viewer-password-1',
		roleIds: [3]
	});

	const ctx = await browser.newContext();
	const viewer = await ctx.newPage();
	await signIn(viewer, 'e2e-viewer', 'viewer-password-1');
	await viewer.getByRole('button', { name: 'Open launcher' }).click();
	await expect(viewer.getByTestId('launcher').getByText('About Fleetdesk')).toBeVisible();
	await expect(viewer.getByTestId('launcher').getByText('Users & Access')).toHaveCount(0);
	await expect(viewer.getByRole('button', { name: 'Users & Access' })).toHaveCount(0);

	const res = await viewer.request.get('/api/trpc/users.list');
	expect(res.status()).toBe(403);
	const post = await viewer.request.post('/api/trpc/users.create', {
		data: { username: 'sneaky', password: 'sneaky-password-1' },
		headers: { origin: new URL(viewer.url()).origin }
	});
	expect(post.status()).toBe(403);
	await ctx.close();
});

test('signing out ends the session', async ({ page }) => {
	await signIn(page);
	await page.getByTestId('taskbar').getByRole('button', { name: 'admin' }).click();
	await page.getByRole('menuitem', { name: 'Sign out' }).click();
	await expect(page).toHaveURL(/\/login/);
	const res = await page.request.get('/api/trpc/system.info');
	expect(res.status()).toBe(401);
});

test('locking a user sends their open desktop back to the sign-in page at once', async ({
	page,
	browser
}) => {
	await signIn(page);
	const user = (await mutate(page.request, 'users.create', {
		username: 'e2e-lockme',
		password: 'lockme-password-1',
		roleIds: [3]
	})) as { id: number };

	const ctx = await browser.newContext();
	const victim = await ctx.newPage();
	await signIn(victim, 'e2e-lockme', 'lockme-password-1');
	await expect(victim.locator('.live:not(.down)')).toBeAttached();

	await mutate(page.request, 'users.setLocked', { id: user.id, locked: true });
	await expect(victim).toHaveURL(/\/login/);
	await expect(victim.getByText(/Your session ended/)).toBeVisible();
	const res = await victim.request.get('/api/trpc/system.info');
	expect(res.status()).toBe(401);
	await ctx.close();
});
