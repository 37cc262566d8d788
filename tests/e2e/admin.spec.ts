import { GLOBAL_ACTIONS } from '../../src/lib/protocol/permissions';
import type { Locator, Page } from '@playwright/test';
import { ADMIN, expect, mutate, test } from './helpers';

// Names unique to this run: the server (and its database) is shared by every spec in a run.
const run = Date.now().toString(36).slice(-5);
const USER = `e2e-op-${run}`;
const GROUP = `e2e-racks-${run}`;
const DEVICE = `e2e-web-${run}`;
const ROLE = `e2e-auditor-${run}`;
const AUDITOR = `e2e-aud-${run}`;

/**
 * helpers.signIn, but filling the form only once the page has hydrated: the login page renders the
 * username input with `value={form?.username ?? ''}`, and hydration can blank a username typed before it.
 */
async function signIn(page: Page, username = ADMIN.username, password = ADMIN.password): Promise<void> {
	await page.goto('/login', { waitUntil: 'networkidle' });
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('taskbar')).toBeVisible();
}

/** Signs in as admin on an empty desktop and opens Users & Access from its desktop icon. */
async function openAdmin(page: Page): Promise<Locator> {
	await signIn(page);
	await mutate(page.request, 'desktop.saveLayout', {
		version: 1,
		windows: [],
		activeId: null,
		theme: 'light'
	});
	await page.reload();
	await expect(page.getByTestId('taskbar')).toBeVisible();
	await page.getByRole('button', { name: 'Users & Access', exact: true }).first().click();
	const win = page.locator('[data-testid="window"][data-app="admin"]');
	await expect(win).toBeVisible();
	return win;
}

async function openTab(win: Locator, name: string): Promise<void> {
	const tab = win.getByRole('tab', { name });
	await tab.click();
	await expect(tab).toHaveAttribute('aria-selected', 'true');
}

function row(win: Locator, text: string): Locator {
	return win.getByRole('row').filter({ hasText: text });
}

test.describe('Users & Access', () => {
	test.use({ viewport: { width: 1280, height: 860 } });

	test('create an Operator, see the server refuse a duplicate, lock and unlock; the audit log shows it', async ({
		page
	}) => {
		const win = await openAdmin(page);
		for (const name of ['Users', 'Roles', 'Device groups', 'Grants', 'Audit log', 'Sessions'])
			await expect(win.getByRole('tab', { name })).toBeVisible();
		await openTab(win, 'Users');
		await expect(win.locator('tr[data-username="admin"]')).toContainText('Administrator');

		await win.getByRole('button', { name: 'New user' }).click();
		const form = win.getByRole('dialog', { name: 'New user' });
		await form.getByLabel('Username').fill('admin');
		await form.getByLabel('Display name').fill('E2E Operator');
		await form.getByLabel('E-mail').fill(`${USER}@example.com`);
		await form.getByRole('checkbox', { name: /^Operator/ }).check();
		await form.getByLabel('Password', { exact: true }).fill('operator-password-1');
		await form.getByRole('button', { name: 'Create user' }).click();
		// The server's own sentence, shown in the form, which stays open.
		await expect(form.getByRole('alert')).toHaveText('A user named "admin" already exists.');

		await form.getByLabel('Username').fill(USER);
		await form.getByRole('button', { name: 'Create user' }).click();
		await expect(form).toHaveCount(0);
		const user = row(win, USER);
		await expect(user).toContainText('E2E Operator');
		await expect(user).toContainText('Operator');
		await expect(user).toContainText('Active');

		await user.getByRole('button', { name: `Lock ${USER}` }).click();
		const confirm = win.getByRole('dialog', { name: `Lock ${USER}` });
		await confirm.getByRole('button', { name: 'Lock', exact: true }).click();
		await expect(confirm).toHaveCount(0);
		await expect(user).toContainText('Locked');
		await expect(user.getByRole('button', { name: `Unlock ${USER}` })).toBeVisible();

		// A locked account cannot sign in.
		const other = await page.context().browser()!.newContext();
		const op = await other.newPage();
		await op.goto('/login', { waitUntil: 'networkidle' });
		await op.getByLabel('Username').fill(USER);
		await op.getByLabel('Password').fill('operator-password-1');
		await op.getByRole('button', { name: 'Sign in' }).click();
		await expect(op.getByText('Wrong username or password')).toBeVisible();
		await other.close();

		await user.getByRole('button', { name: `Unlock ${USER}` }).click();
		await expect(user).toContainText('Active');

		await openTab(win, 'Audit log');
		await win.getByLabel('Search').fill(USER);
		await win.getByRole('button', { name: 'Apply filters' }).click();
		const created = row(win, 'user.create');
		await expect(created).toHaveCount(1);
		await expect(created).toContainText(USER);
		await expect(created).toContainText('admin');
		await expect(created).toContainText('Operator');
		await expect(row(win, 'user.lock')).toContainText('Locked: no → yes');
		await expect(row(win, 'user.unlock')).toHaveCount(1);

		// A date range after today matches nothing.
		await win.getByLabel('From').fill('2999-01-01T00:00');
		await win.getByRole('button', { name: 'Apply filters' }).click();
		await expect(win.getByText('No audit entries match.')).toBeVisible();
		await win.getByRole('button', { name: 'Clear' }).click();
		await expect(row(win, 'user.create').first()).toBeVisible();
	});

	test('a role with only audit.read; its users see only the audit log; built-in roles stay', async ({
		page,
		browser
	}) => {
		const win = await openAdmin(page);
		await openTab(win, 'Roles');

		await row(win, 'Viewer').getByRole('button', { name: 'Delete Viewer' }).click();
		const refuse = win.getByRole('dialog', { name: 'Delete role Viewer' });
		await refuse.getByRole('button', { name: 'Delete role' }).click();
		await expect(refuse.getByRole('alert')).toHaveText('"Viewer" is a built-in role and cannot be deleted.');
		await refuse.getByRole('button', { name: 'Cancel' }).click();
		await expect(refuse).toHaveCount(0);

		await win.getByRole('button', { name: 'New role' }).click();
		const form = win.getByRole('dialog', { name: 'New role' });
		await form.getByLabel('Role name').fill(ROLE);
		await form.getByLabel('Description').fill('Reads the audit log, nothing else');
		await form.getByRole('checkbox', { name: /^Use the desktop/ }).check();
		await form.getByRole('checkbox', { name: /^Read the audit log/ }).check();
		await form.getByRole('button', { name: 'Create role' }).click();
		await expect(form).toHaveCount(0);
		const role = row(win, ROLE);
		await expect(role).toContainText(`2 of ${GLOBAL_ACTIONS.length}`);

		const roles = (await (await page.request.get('/api/trpc/roles.list')).json()) as {
			result: { data: { id: number; name: string }[] };
		};
		const roleId = roles.result.data.find((r) => r.name === ROLE)!.id;
		await mutate(page.request, 'users.create', {
			username: AUDITOR,
			password: 'auditor-password-1',
			roleIds: [roleId]
		});

		const ctx = await browser.newContext();
		const auditor = await ctx.newPage();
		await signIn(auditor, AUDITOR, 'auditor-password-1');
		await auditor.getByRole('button', { name: 'Users & Access', exact: true }).first().click();
		const theirs = auditor.locator('[data-testid="window"][data-app="admin"]');
		await expect(theirs.getByRole('tab')).toHaveCount(1);
		await expect(theirs.getByRole('tab', { name: 'Audit log' })).toHaveAttribute('aria-selected', 'true');
		await expect(row(theirs, 'role.create').filter({ hasText: ROLE })).toHaveCount(1);
		await ctx.close();
	});

	test('device group, device, membership and a grant', async ({ page }) => {
		const win = await openAdmin(page);
		await openTab(win, 'Device groups');

		await win.getByRole('button', { name: 'New group' }).click();
		let form = win.getByRole('dialog', { name: 'New device group' });
		await form.getByLabel('Group name').fill(GROUP);
		await form.getByLabel('Description').fill('Racks used by the end-to-end test');
		await form.getByRole('button', { name: 'Create group' }).click();
		await expect(form).toHaveCount(0);
		const group = row(win, GROUP);
		await expect(group).toContainText('0');

		await win.getByRole('button', { name: 'New device' }).click();
		form = win.getByRole('dialog', { name: 'New device' });
		await form.getByLabel('Device name').fill(DEVICE);
		await form.getByRole('button', { name: 'Create device' }).click();
		await expect(form).toHaveCount(0);
		const device = row(win, DEVICE);
		await expect(device).toContainText('Only implicit groups');

		await device.getByRole('button', { name: `Groups of ${DEVICE}` }).click();
		const membership = win.getByRole('dialog', { name: `Groups of ${DEVICE}` });
		await expect(membership.getByRole('checkbox', { name: /^All devices/ })).toBeDisabled();
		await membership.getByRole('checkbox', { name: GROUP }).check();
		await expect(membership.getByRole('checkbox', { name: GROUP })).toBeEnabled();
		await membership.getByRole('button', { name: 'Done' }).click();
		await expect(device).toContainText(GROUP);
		await expect(group.locator('td').nth(2)).toHaveText('1');

		// The server protects the implicit group; its refusal shows in the confirm step.
		await row(win, 'All devices').getByRole('button', { name: 'Delete group All devices' }).click();
		const refuse = win.getByRole('dialog', { name: 'Delete device group All devices' });
		await refuse.getByRole('button', { name: 'Delete group' }).click();
		await expect(refuse.getByRole('alert')).toContainText('holds every device and cannot be deleted');
		await refuse.getByRole('button', { name: 'Cancel' }).click();

		await openTab(win, 'Grants');
		await win.getByRole('button', { name: 'New grant' }).click();
		form = win.getByRole('dialog', { name: 'New grant' });
		await form.getByLabel('Role').selectOption({ label: 'Viewer' });
		await form.getByLabel('Device group').selectOption({ label: GROUP });
		await form.getByRole('checkbox', { name: /^Power on, off and cycle/ }).check();
		await form.getByRole('button', { name: 'Add grant' }).click();
		await expect(form).toHaveCount(0);
		const grant = row(win, GROUP);
		await expect(grant).toContainText('Viewer');
		await expect(grant.getByRole('checkbox', { name: /Power on, off and cycle/ })).toBeChecked();
		await expect(grant.getByRole('checkbox', { name: /View consoles/ })).toBeChecked();
		await expect(grant.getByRole('checkbox', { name: /Run tasks/ })).not.toBeChecked();

		// Edit the actions in place: untick one and it stays off after a refresh.
		await grant.getByRole('checkbox', { name: /View consoles/ }).uncheck();
		await expect(win.getByRole('status')).toContainText('removed “View consoles”');
		await win.getByRole('button', { name: 'Refresh' }).click();
		await expect(grant.getByRole('checkbox', { name: /View consoles/ })).not.toBeChecked();
		await expect(grant.getByRole('checkbox', { name: /Power on, off and cycle/ })).toBeChecked();
	});

	test('the sessions tab lists this session; the open tab is remembered', async ({ page }) => {
		const win = await openAdmin(page);
		await openTab(win, 'Sessions');
		const mine = row(win, 'This session');
		await expect(mine).toHaveCount(1);
		await expect(mine).toContainText('admin');
		await expect(mine.getByRole('button', { name: /End session/ })).toBeVisible();

		// The tab is kept with the window in the saved layout.
		await expect
			.poll(async () => JSON.stringify(await (await page.request.get('/api/trpc/desktop.layout')).json()))
			.toContain('"tab":"sessions"');
		await page.reload();
		await expect(win.getByRole('tab', { name: 'Sessions' })).toHaveAttribute('aria-selected', 'true');
		await expect(row(win, 'This session')).toHaveCount(1);
	});

	test('at phone width the tables scroll sideways inside the window', async ({ page }) => {
		await page.setViewportSize({ width: 400, height: 800 });
		const win = await openAdmin(page);
		await openTab(win, 'Users');
		const wrap = win.locator('.table-wrap').first();
		await expect(win.locator('tr[data-username="admin"]')).toBeVisible();
		const { scroll, client } = await wrap.evaluate((el) => ({
			scroll: el.scrollWidth,
			client: el.clientWidth
		}));
		expect(scroll).toBeGreaterThan(client);
		const winBox = await win.boundingBox();
		expect(winBox!.width).toBeLessThanOrEqual(400);
	});
});
