// Resource history in the Fleet app with a real agent sampling every 5 s: the device's charts are drawn (and
// survive a range switch and leaving the tab), the top view compares it, and the idle-servers report takes
// its inputs and downloads as CSV.
import { expect, joinToken, newGroup, openApp, RealAgents, shot, signIn, test } from './helpers';

const run = Date.now().toString(36).slice(-5);

const agents = new RealAgents();
test.afterAll(() => agents.stop());

test('a real agent’s samples in the device charts, the top view and the idle-servers report', async ({
	page
}) => {
	test.setTimeout(120_000);
	await page.setViewportSize({ width: 1280, height: 800 });
	await signIn(page);
	const groupId = await newGroup(page, `metrics-e2e-${run}`);
	const { name } = await agents.enrolAndRun(
		await joinToken(page, groupId),
		{ metricsSeconds: 5 },
		'metrics-e2e-agent-'
	);

	const win = await openApp(page, 'Fleet', 'fleet');
	await win.getByRole('button', { name: 'Maximise' }).click();
	const row = win.locator(`tr[data-device="${name}"]`);
	await expect(row).toHaveAttribute('data-state', 'online', { timeout: 20_000 });

	// The device's charts, once the first samples are in (Refresh asks again).
	await row.getByRole('button', { name, exact: true }).click();
	await win.getByRole('tab', { name: 'Resources' }).click();
	const charts = win.getByRole('region', { name: 'Resource history' });
	const cpu = charts.getByRole('figure').filter({ hasText: 'CPU busy' });
	await expect(async () => {
		await charts.getByRole('button', { name: 'Refresh' }).click();
		await expect(cpu).toBeVisible({ timeout: 1000 });
	}).toPass({ timeout: 30_000 });
	await expect(charts.getByRole('figure').filter({ hasText: 'Memory and swap used' })).toBeVisible();
	await expect(charts.getByRole('figure').filter({ hasText: 'Filesystems used' })).toBeVisible();
	// Chart.js has drawn on the canvas: some pixels are not blank.
	const painted = await cpu.locator('canvas').evaluate((c: HTMLCanvasElement) => {
		const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
		return { n, width: c.width, height: c.height };
	});
	expect(painted.width).toBeGreaterThan(100);
	expect(painted.n).toBeGreaterThan(500);
	await shot(page, 'metrics-charts-1280x800');

	// Another range: hourly aggregates (there may be none yet on a fresh server), no error.
	await charts.getByRole('radio', { name: 'Week' }).check();
	await expect(charts.getByRole('radio', { name: 'Week' })).toBeChecked();
	await expect(charts.getByText('last 7 days, hourly averages')).toBeVisible();
	await expect(charts.getByRole('button', { name: 'Refresh' })).toBeEnabled();
	await expect(charts.getByRole('alert')).toHaveCount(0);
	await charts.getByRole('radio', { name: 'Day' }).check();
	await expect(cpu).toBeVisible();

	// Side by side: the selection in the top view.
	await win.getByRole('button', { name: '‹ Devices' }).click();
	await row.getByRole('checkbox', { name: `Select ${name}` }).check();
	await win.getByRole('tab', { name: /Top view/ }).click();
	const top = win.getByRole('region', { name: 'Side-by-side comparison' });
	await expect(top.locator(`th[scope="col"]`, { hasText: name })).toBeVisible();
	await expect(top.locator('tr', { hasText: 'CPU now' })).toContainText('%');
	await expect(top.locator('tr', { hasText: 'Memory' }).first()).toContainText(' of ');
	await expect(top.getByRole('meter', { name: `CPU of ${name}` })).toBeVisible();
	await shot(page, 'metrics-top-1280x800');

	// The idle-servers report: bad input is explained; good input queries, and the CSV matches it.
	await win.getByRole('tab', { name: 'Idle servers' }).click();
	const idle = win.getByRole('region', { name: 'Idle servers' });
	await idle.getByLabel('Average CPU below (%)').fill('0');
	await idle.getByRole('button', { name: 'Show' }).click();
	await expect(idle.getByRole('alert')).toContainText('The threshold must be a number from 0.1 to 100');
	await idle.getByLabel('Average CPU below (%)').fill('100');
	await idle.getByLabel('Over the last (days)').fill('1');
	await idle.getByRole('button', { name: 'Show' }).click();
	await expect(idle.locator('[aria-live="polite"]')).toContainText(
		'averaged under 100 % CPU over the last day'
	);
	await idle.getByRole('columnheader', { name: 'Device' }).getByRole('button').click();
	const csv = idle.getByRole('link', { name: 'Export CSV' });
	const href = await csv.getAttribute('href');
	expect(href).toBe('/api/metrics/idle.csv?thresholdPct=100&days=1&sort=name&dir=asc');
	const res = await page.request.get(href!);
	expect(res.status()).toBe(200);
	expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8');
	expect((await res.text()).replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(
		'Device,Average CPU %,Maximum CPU %,Samples,Data since (UTC),Last seen (UTC)'
	);
});
