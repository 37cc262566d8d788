// The Fleet app with a real agent: a join token made in the desktop, a real agent process enrolled with it
// over the e2e server's agent gateway (real TLS), its device going online live, its inventory, a `show
// processes` task, and revocation taking it offline.
import os from 'node:os';
import type { Locator, Page } from '@playwright/test';
import {
	AGENT_SERVER,
	expect,
	joinToken,
	newGroup,
	openApp,
	RealAgents,
	shot,
	signIn,
	test
} from './helpers';

const run = Date.now().toString(36).slice(-5);

const agents = new RealAgents();
test.afterAll(() => agents.stop());

/** An empty desktop, then the Fleet app from its desktop icon (maximised where windows can be). */
async function openFleet(page: Page, { maximise = true } = {}): Promise<Locator> {
	const win = await openApp(page, 'Fleet', 'fleet');
	if (maximise) await win.getByRole('button', { name: 'Maximise' }).click();
	await expect(win.getByTestId('fleet-devices')).toBeVisible();
	return win;
}

test('a token made in the Fleet app enrols a real agent, which shows live, reports, runs a task and is revoked', async ({
	page
}) => {
	test.setTimeout(120_000);
	await page.setViewportSize({ width: 1280, height: 800 });
	await signIn(page);
	const group = `fleet-e2e-${run}`;
	await newGroup(page, group, 'Fleet e2e');
	const win = await openFleet(page);

	// A join token, made in the app and read back from it (it is shown only once).
	await win.getByRole('tab', { name: 'Join tokens' }).click();
	await win.getByLabel('Device group').selectOption({ label: group });
	await win.getByLabel('Valid for').fill('15m');
	await win.getByLabel('Note').fill(`e2e ${run}`);
	await win.getByRole('button', { name: 'Create token' }).click();
	const box = win.getByTestId('new-join-token');
	await expect(box).toBeVisible();
	const token = await box.getByTestId('join-token-value').inputValue();
	expect(token).toMatch(/^fdj1\./);
	const command = (await box.getByTestId('enrol-command').textContent()) ?? '';
	const server = AGENT_SERVER;
	expect(command).toBe(`fleetdesk-agent enroll --server ${server} --token ${token}`);
	await expect(win.getByTestId('join-tokens').locator('tr', { hasText: `e2e ${run}` })).toContainText(
		'0 of 1'
	);
	await shot(page, 'fleet-token-1280x800');

	// A real agent process enrols with it over TLS and connects: its device turns online without a reload.
	await win.getByRole('tab', { name: 'Devices' }).click();
	const { name, agent } = await agents.enrolAndRun(token, {}, 'fleet-e2e-agent-', server);
	const row = win.locator(`tr[data-device="${name}"]`);
	await expect(row).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
	await expect(row.getByTestId('device-state')).toHaveText('online');
	await expect(row).toContainText(group);
	await shot(page, 'fleet-devices-1280x800');

	// Its detail: overview, then an inventory asked for now.
	// The top view of the selection.
	await row.getByRole('checkbox', { name: `Select ${name}` }).check();
	await win.getByRole('button', { name: 'Top view' }).click();
	await expect(win.getByRole('tab', { name: /Top view/ })).toHaveAttribute('aria-selected', 'true');
	await expect(win.getByText('Loading…')).toHaveCount(0);
	await shot(page, 'fleet-top-1280x800');
	await win.getByRole('tab', { name: 'Idle servers' }).click();
	await expect(win.getByText('Loading…')).toHaveCount(0);
	await shot(page, 'fleet-idle-1280x800');
	await win.getByRole('tab', { name: 'Devices' }).click();

	await row.getByRole('button', { name, exact: true }).click();
	await expect(win.getByRole('heading', { name, exact: true })).toBeVisible();
	await expect(win.getByTestId('device-overview')).toContainText(group);
	await win.getByRole('button', { name: 'Inventory now' }).click();
	await expect(win.getByRole('status').filter({ hasText: 'for an inventory' })).toBeVisible();
	await win.getByRole('tab', { name: 'Inventory' }).click();
	const inventory = win.getByTestId('inventory');
	await expect(inventory).toBeVisible({ timeout: 30_000 });
	await expect(inventory).toContainText(os.hostname().slice(0, 20));
	await shot(page, 'fleet-inventory-system-1280x800');
	await win.getByRole('tab', { name: /^Software/ }).click();
	await expect(inventory.locator('tbody tr').first()).toBeVisible();
	await shot(page, 'fleet-inventory-1280x800');
	await win.getByRole('tab', { name: 'Resources' }).click();
	await expect(win.getByText('Loading…')).toHaveCount(0);
	await shot(page, 'fleet-resources-1280x800');

	// show processes: queued → running → succeeded, with the table.
	await win.getByRole('button', { name: 'Run task…' }).click();
	const dialog = page.getByRole('dialog', { name: `Run a task on ${name}` });
	await dialog.getByLabel('Table', { exact: true }).selectOption('processes');
	await dialog.getByRole('button', { name: 'Run', exact: true }).click();
	const out = dialog.getByTestId('task-output');
	await expect(out).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
	const table = dialog.getByTestId('show-table');
	await expect(table.locator('thead')).toContainText('PID');
	await expect(table.locator('thead')).toContainText('CPU%');
	expect(await table.locator('tbody tr').count()).toBeGreaterThan(0);
	// The agent itself is one of the processes.
	await expect(table.locator('tbody')).toContainText('node');
	await shot(page, 'fleet-task-1280x800');
	await dialog.getByRole('button', { name: 'Close' }).last().click();

	await win.getByRole('tab', { name: 'Tasks' }).click();
	const history = win.getByTestId('device-tasks');
	await expect(history.locator('tr', { hasText: 'show processes' }).first()).toContainText('succeeded');
	await shot(page, 'fleet-tasks-1280x800');

	// Revocation: the agent is disconnected at once, goes offline in the list, and exits with code 78.
	await win.getByRole('tab', { name: 'Certificate' }).click();
	await expect(win.getByTestId('certificate')).toContainText('valid');
	await shot(page, 'fleet-certificate-1280x800');
	// Renewal: a new key pair and certificate for the same agent, which reconnects with it.
	const serial = win.getByTestId('cert-serial');
	const oldSerial = (await serial.textContent())!.trim();
	await win.getByRole('button', { name: 'Renew certificate now' }).click();
	await expect(win.getByRole('status')).toContainText('Asked');
	await expect(serial).not.toHaveText(oldSerial, { timeout: 15_000 });
	await expect(win.getByTestId('renew-pending')).toHaveCount(0);
	await shot(page, 'fleet-certificate-renewed-1280x800');
	await win.getByRole('button', { name: 'Revoke this agent…' }).click();
	await page.getByRole('dialog', { name: 'Revoke agent' }).getByRole('button', { name: 'Revoke' }).click();
	await expect(win.getByTestId('certificate')).toContainText('revoked');
	expect(await agent.exited).toBe(78);
	await win.getByRole('button', { name: '‹ Devices' }).click();
	await expect(row).toHaveAttribute('data-state', 'offline');
	await expect(row.getByTestId('device-state')).toHaveText('revoked');
	await shot(page, 'fleet-revoked-1280x800');
});

test.describe('Fleet on a tablet (820×1180)', () => {
	test.use({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true });

	test('the list, a device, a command and tokens fit the full-screen app', async ({ page }) => {
		test.setTimeout(120_000);
		await signIn(page);
		const groupId = await newGroup(page, `fleet-tab-${run}`, 'Fleet e2e');
		const { name } = await agents.enrolAndRun(
			await joinToken(page, groupId, 1),
			{ tasks: { allow: ['inventory', 'show', 'exec'] } },
			'fleet-e2e-agent-'
		);
		const win = await openFleet(page, { maximise: false });
		expect((await win.boundingBox())!.width).toBe(820);
		const noSideways = async () =>
			expect(await win.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);

		const row = win.locator(`tr[data-device="${name}"]`);
		await expect(row).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
		await noSideways();
		await shot(page, 'fleet-devices-820x1180');

		await row.getByRole('button', { name, exact: true }).tap();
		await expect(win.getByTestId('device-overview')).toBeVisible();
		await expect(win.getByTestId('last-address')).toContainText('127.0.0.1');
		await noSideways();
		await shot(page, 'fleet-device-820x1180');

		// A command's output is shown as text: markup in it stays text.
		await win.getByRole('button', { name: 'Run task…' }).tap();
		const dialog = page.getByRole('dialog', { name: `Run a task on ${name}` });
		await dialog.getByRole('radio', { name: 'Run a command' }).check();
		await dialog.getByRole('textbox', { name: 'Command', exact: true }).fill(process.execPath);
		await dialog.getByLabel('Arguments, one per line').fill('-e\nconsole.log("<b>bold</b> " + (6 * 7))');
		await dialog.getByRole('button', { name: 'Run', exact: true }).tap();
		const out = dialog.getByTestId('task-output');
		await expect(out).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 });
		await expect(dialog.getByTestId('stdout')).toHaveText('<b>bold</b> 42\n');
		await expect(dialog.getByTestId('exit-code')).toHaveText('0');
		await expect(dialog.locator('b')).toHaveCount(0);
		await shot(page, 'fleet-exec-820x1180');
		await dialog.getByRole('button', { name: 'Close' }).last().tap();

		await win.getByRole('tab', { name: 'Join tokens' }).tap();
		await expect(win.getByTestId('join-tokens')).toBeVisible();
		await noSideways();
		await shot(page, 'fleet-tokens-820x1180');
	});
});
