// The Logs app with a real agent: a real agent process enrolled over the e2e server's gateway (real TLS) whose
// config allows a temp directory of generated log files. The source picker lists the device before its agent first
// connects and shows its files, unasked, once it does. The viewer opens a 200,000-line file with only the
// lines on screen in the DOM, filters it with include + exclude patterns and context, refuses a bad regex at
// its position, exports the filtered view, sets a bookmark, and the bookmark's link opens a fresh page at it.
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import {
	expect,
	joinToken,
	mutate,
	newGroup,
	openApp,
	query,
	RealAgents,
	shot,
	signIn,
	test
} from './helpers';

const run = Date.now().toString(36).slice(-5);

const BIG_LINES = 200_000;
const T0 = Date.UTC(2025, 0, 1);
/** Line i (1-based) of big.log: a timestamped line; every 1000th an ERROR, some of them about the disk. */
function bigLine(i: number): string {
	const at = new Date(T0 + i * 1000).toISOString();
	if (i % 1000 === 0) {
		const what = i % 3000 === 0 ? 'disk sda failed' : i % 5000 === 0 ? 'fan ignored' : 'net down';
		return `${at} web1 kernel: ERROR ${what} (event ${i})`;
	}
	return `${at} web1 app[42]: request ${i} served in ${i % 97} ms <b>ok</b>`;
}

const agents = new RealAgents();
test.afterAll(() => agents.stop());

/** A log directory with big.log (200,000 lines, ~16 MB). */
function writeLogs(): string {
	const dir = agents.tempDir('logs-e2e-files-');
	const fd = fs.openSync(path.join(dir, 'big.log'), 'w');
	for (let start = 1; start <= BIG_LINES; start += 10_000) {
		const lines: string[] = [];
		for (let i = start; i < start + 10_000; i++) lines.push(bigLine(i));
		fs.writeSync(fd, lines.join('\n') + '\n');
	}
	fs.closeSync(fd);
	return dir;
}

/**
 * Enrols a real agent whose `logs` allow list covers `logDir`; returns its device name and the function that
 * starts it (the test looks at the device before its agent has ever connected).
 */
async function enrol(page: Page, logDir: string): Promise<{ device: string; start: () => void }> {
	const groupId = await newGroup(page, `logs-e2e-${run}`);
	const { name, dir } = await agents.enrol(await joinToken(page, groupId, 1), 'logs-e2e-agent-');
	const config = {
		tasks: { allow: ['inventory', 'show', 'logs-open', 'logs-config', 'console-open', 'console-close'] },
		consoles: { allow: ['shell'] },
		logs: [`${logDir}/*.log`],
		filesModule: { journal: false, watch: false, rules: true, tailMs: 300 }
	};
	return { device: name, start: () => void agents.run(dir, config) };
}

/**
 * A shell console on the device whose program prints 400 numbered lines (every 50th a "panic" marker) and then
 * waits: its access log fills without anyone watching. Resolves once the lines are stored.
 */
async function consoleWithOutput(
	page: Page,
	deviceName: string,
	marker: string
): Promise<{ id: number; name: string }> {
	const devices = await query<{ deviceId: number; deviceName: string }[]>(page.request, 'logs.devices');
	const deviceId = devices.find((d) => d.deviceName === deviceName)!.deviceId;
	const script = `for (let i = 1; i <= 400; i++) console.log(i % 50 === 0 ? 'kernel ${marker} ' + i : 'boot step ' + i); setInterval(() => {}, 1e9);`;
	const name = `logs-e2e-${run}`;
	const c = (await mutate(page.request, 'consoles.create', {
		name,
		deviceId,
		target: { kind: 'shell', command: process.execPath, args: ['-e', script] }
	})) as { id: number };
	await mutate(page.request, 'consoles.start', { id: c.id }).catch(() => {});
	await expect(async () => {
		const r = await query<{ total: number }>(page.request, 'accessLogs.lines', { consoleId: c.id, count: 1 });
		expect(r.total).toBeGreaterThanOrEqual(400);
	}).toPass({ timeout: 30_000 });
	return { id: c.id, name };
}

/** An empty desktop, then the Logs app from its desktop icon, maximised. */
async function openLogs(page: Page): Promise<Locator> {
	const win = await openApp(page, 'Logs', 'logs');
	const max = win.getByRole('button', { name: 'Maximise' });
	if (await max.isVisible()) await max.click();
	return win;
}

/** The line numbers of the rows in the DOM, in order. */
async function shownLines(list: Locator): Promise<number[]> {
	return list.locator('.row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-line'))));
}

/**
 * The device `name` in the source picker, opened (whether or not the picker opened it by itself: it does when it
 * lists only one device, and earlier specs may have enrolled others).
 */
async function openDevice(picker: Locator, name: string): Promise<Locator> {
	const dev = picker.locator(`[data-testid="log-device"][data-device="${name}"]`);
	const toggle = dev.locator('button[aria-expanded]');
	await expect(toggle).toBeVisible({ timeout: 20_000 });
	if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
	await expect(toggle).toHaveAttribute('aria-expanded', 'true');
	return dev;
}

test('a big file on a real agent: virtual scrolling, filters with context, a bad regex, export, a bookmark link', async ({
	page,
	browser
}) => {
	test.setTimeout(180_000);
	await page.setViewportSize({ width: 1440, height: 900 });
	await signIn(page);
	const logDir = writeLogs();
	const big = path.join(logDir, 'big.log');
	const { device, start } = await enrol(page, logDir);

	// The device is listed before its agent ever connected: the picker says so and offers to ask again.
	const win = await openLogs(page);
	const picker = win.getByTestId('source-picker');
	const dev = await openDevice(picker, device);
	await expect(dev.getByTestId('agent-offline')).toContainText('The agent is offline');
	await expect(dev.getByTestId('agent-offline')).toContainText(
		'It has not yet said which files it may read.'
	);
	await expect(dev.getByRole('button', { name: 'Retry' })).toBeEnabled();
	// The agent starts: the picker hears it come online and asks again by itself.
	start();
	const file = dev.locator(`[data-testid="log-file"][data-path="${big}"]`);
	await expect(file).toBeVisible({ timeout: 20_000 });
	await expect(dev.getByTestId('agent-offline')).toHaveCount(0);
	await shot(page, 'logs-picker-1440x900');
	await file.click();

	// Opened at the end, following; the whole file counted; only the lines on screen in the DOM.
	const list = win.getByTestId('log-lines');
	await expect(win.getByTestId('viewer-title')).toContainText('big.log');
	await expect(win.getByTestId('line-count')).toContainText(`${BIG_LINES.toLocaleString('en-US')} lines`, {
		timeout: 30_000
	});
	await expect(list.locator(`.row[data-line="${BIG_LINES}"]`)).toBeVisible();
	await expect(win.getByTestId('follow')).toHaveAttribute('aria-pressed', 'true');
	expect(await list.locator('.row').count()).toBeLessThan(80);
	// Markup in a line stays text.
	await expect(list.locator('.row b')).toHaveCount(0);
	await expect(list.locator(`.row[data-line="${BIG_LINES - 1}"]`)).toContainText('<b>ok</b>');
	await shot(page, 'logs-viewer-1440x900');

	// Jump to a line in the middle: it is fetched and marked; still only a screenful in the DOM.
	const goTo = win.getByLabel('Go to', { exact: true });
	await goTo.fill('150000');
	await goTo.press('Enter');
	const target = list.locator('.row[data-line="150000"]');
	await expect(target).toBeVisible();
	await expect(target).toHaveClass(/target/);
	await expect(target).toContainText(bigLine(150000));
	await expect(win.getByTestId('follow')).toHaveAttribute('aria-pressed', 'false');
	expect(await list.locator('.row').count()).toBeLessThan(80);

	// A time goes to the first line at or after it (the agent reads the lines' timestamps).
	await goTo.fill('2025-01-02T10:00:00Z');
	await goTo.press('Enter');
	const atTime = list.locator(`.row[data-line="${34 * 3600}"]`);
	await expect(atTime).toHaveClass(/target/);
	await expect(atTime).toContainText('2025-01-02T10:00:00.000Z');
	await goTo.fill('150000');
	await goTo.press('Enter');
	await expect(target).toHaveClass(/target/);

	// Scrolling moves by lines and fetches the next pages.
	await list.hover();
	await page.mouse.wheel(0, 18 * 300);
	await expect(list.locator('.row[data-line="150300"]')).toBeVisible();
	await expect(list.locator('.row').first()).not.toContainText('…');

	// A bad regex is refused with its position.
	const pattern = win.getByLabel('Filter pattern (regular expression)');
	await pattern.fill('ERROR (disk');
	const err = win.getByTestId('pattern-error');
	await expect(err).toBeVisible();
	await expect(err).toHaveAttribute('data-position', '6');
	await expect(err).toContainText('never closed');
	await expect(win.getByRole('button', { name: '+ Include' })).toBeDisabled();
	await shot(page, 'logs-bad-regex-1440x900');

	// Include ERROR and (disk|net), exclude "ignored", one line of context.
	await pattern.fill('error');
	await pattern.press('Enter');
	await pattern.fill('disk|net');
	await win.getByRole('button', { name: '+ Include' }).click();
	await pattern.fill('ignored');
	await pattern.press('Shift+Enter');
	await win.getByRole('spinbutton', { name: 'Context' }).fill('1');
	await win.getByRole('spinbutton', { name: 'Context' }).press('Tab');
	await expect(win.getByTestId('include-chip')).toHaveCount(2);
	await expect(win.getByTestId('exclude-chip')).toHaveCount(1);

	// Every 1000th line is an ERROR; those divisible by 5000 but not 3000 are "fan ignored".
	const expectedHits: number[] = [];
	for (let i = 1000; i <= BIG_LINES; i += 1000) if (i % 3000 === 0 || i % 5000 !== 0) expectedHits.push(i);
	const hits = win.getByTestId('hit-count');
	await expect(hits).toHaveAttribute('data-done', 'true', { timeout: 30_000 });
	await expect(hits).toHaveAttribute('data-hits', String(expectedHits.length));
	// The case toggle is off, so "error" matched "ERROR"; the top of the view shows the first groups.
	await page.keyboard.press('Home');
	await list.focus();
	await page.keyboard.press('Home');
	const firstRows = await shownLines(list);
	expect(firstRows.slice(0, 9)).toEqual([999, 1000, 1001, 1999, 2000, 2001, 2999, 3000, 3001]);
	await expect(list.locator('.row[data-line="1000"]')).toHaveClass(/hit/);
	await expect(list.locator('.row[data-line="999"]')).toHaveClass(/ctx/);
	// A separator starts each group after the first.
	await expect(list.locator('.row[data-line="1999"]')).toHaveClass(/gap/);
	await expect(list.locator('.row[data-line="999"]')).not.toHaveClass(/gap/);
	await expect(list.locator('.row[data-line="1000"] mark').first()).toHaveText('ERROR');
	await expect(list.locator('.row[data-line="5000"]')).toHaveCount(0);
	await shot(page, 'logs-filtered-1440x900');

	// Export the filtered view as a .txt file: every hit with its context, groups separated by "--".
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		win.getByRole('button', { name: 'Export .txt' }).click()
	]);
	expect(download.suggestedFilename()).toBe('big.log-filtered.txt');
	const text = fs.readFileSync((await download.path())!, 'utf8');
	const want = expectedHits.map((n) => [n - 1, n, n + 1].map(bigLine).join('\n')).join('\n--\n') + '\n';
	expect(text).toBe(want);

	// Next hit moves the selection from hit to hit.
	await win.getByRole('button', { name: 'Next hit' }).click();
	await expect(list.locator('.row.sel')).toHaveAttribute('data-line', '1000');
	await win.getByRole('button', { name: 'Next hit' }).click();
	await expect(list.locator('.row.sel')).toHaveAttribute('data-line', '2000');

	// Bookmark the selected hit (line 2000), with a tag and a note.
	await win.getByRole('button', { name: 'Bookmark…' }).click();
	const dialog = page.getByRole('dialog', { name: 'Bookmark line 2,000' });
	await expect(dialog).toContainText(bigLine(2000));
	await dialog.getByLabel('Tag').fill('netdown');
	await dialog.getByLabel('Note').fill('first net outage <i>today</i>');
	await dialog.getByRole('button', { name: 'Set bookmark' }).click();
	await expect(dialog).toHaveCount(0);
	await expect(list.locator('.row[data-line="2000"] .bm')).toBeVisible();

	// Listed for the team with who set it; its link is /?app=logs&bookmark=<id>.
	await win.getByRole('tab', { name: 'Bookmarks' }).click();
	const item = win.getByTestId('bookmark').filter({ hasText: 'netdown' });
	await expect(item).toContainText('admin');
	await expect(item).toContainText('first net outage <i>today</i>');
	await expect(item).toContainText(`${device}: ${big}, line 2,000`);
	await shot(page, 'logs-bookmarks-1440x900');
	const id = await item.getAttribute('data-bookmark');
	const link = `/?app=logs&bookmark=${id}`;

	// The link in a fresh page (same user, another tab): the desktop opens the Logs app at that line.
	const fresh = await page.context().newPage();
	await fresh.setViewportSize({ width: 1440, height: 900 });
	await fresh.goto(link);
	await expect(fresh.getByTestId('desktop')).toHaveAttribute('data-ready', 'true');
	const win2 = fresh.locator('[data-testid="window"][data-app="logs"]').last();
	const line = win2.locator('[data-testid="log-lines"] .row[data-line="2000"]');
	await expect(line).toBeVisible({ timeout: 20_000 });
	await expect(line).toHaveClass(/target/);
	await expect(line).toContainText(bigLine(2000));
	await expect(line.locator('.bm')).toBeVisible();
	expect(new URL(fresh.url()).search).toBe('');
	await shot(fresh, 'logs-bookmark-link-1440x900');
	await fresh.close();

	// A pattern rule for the group, made in the rules editor; a bad pattern is refused at its position.
	await win.getByRole('tab', { name: 'Pattern rules' }).click();
	await win.getByRole('button', { name: 'New rule…' }).click();
	const ruleForm = page.getByRole('dialog', { name: 'New pattern rule' });
	await ruleForm.getByLabel('Device group').selectOption({ label: `logs-e2e-${run}` });
	await ruleForm.getByLabel('Name').fill('Disk failure');
	const rulePattern = ruleForm.getByLabel('Pattern (regular expression)');
	await rulePattern.fill('disk (sd');
	await expect(ruleForm.getByTestId('pattern-error')).toHaveAttribute('data-position', '5');
	await rulePattern.fill('disk \\w+ failed');
	await expect(ruleForm.getByTestId('pattern-error')).toHaveCount(0);
	await ruleForm.getByLabel('Severity').selectOption('error');
	await shot(page, 'logs-rule-form-1440x900');
	await ruleForm.getByRole('button', { name: 'Create rule' }).click();
	await expect(ruleForm).toHaveCount(0);
	await expect(win.locator('[data-testid="rule"][data-rule="Disk failure"]')).toContainText(
		'disk \\w+ failed'
	);
	await shot(page, 'logs-rules-1440x900');

	// The agent gets the rule and follows the file: a matching line written now raises an event, shown live.
	await win.getByRole('tab', { name: 'Events' }).click();
	const event = win.getByTestId('log-event').filter({ hasText: 'Disk failure' });
	let written = 0;
	await expect(async () => {
		fs.appendFileSync(
			big,
			`2025-01-03T08:00:00.000Z web1 kernel: ERROR disk sdb failed (live ${++written})\n`
		);
		await expect(event.first()).toBeVisible({ timeout: 2000 });
	}).toPass({ timeout: 45_000 });
	await expect(event.first()).toContainText('ERROR disk sdb failed (live');
	await expect(event.first()).toContainText(device);
	await shot(page, 'logs-events-1440x900');
	// Its link opens the file at the matching line.
	await event.first().getByRole('button', { name: 'Open at the line' }).click();
	const matched = list.locator('.row.target');
	await expect(matched).toBeVisible({ timeout: 20_000 });
	await expect(matched).toContainText('ERROR disk sdb failed (live');
	expect(Number(await matched.getAttribute('data-line'))).toBeGreaterThan(BIG_LINES);

	// Watched files per group: a bad path is refused; a good list is saved.
	await win.getByRole('tab', { name: 'Watched files' }).click();
	const wg = win.locator(`[data-testid="watch-group"][data-group="logs-e2e-${run}"]`);
	await wg.getByRole('button', { name: 'Edit…' }).click();
	const paths = wg.getByLabel(`Watched files of logs-e2e-${run}, one a line`);
	await paths.fill('/etc/hosts\netc/relative');
	await expect(wg.locator('.error-text')).toContainText('etc/relative');
	await expect(wg.getByRole('button', { name: 'Save' })).toBeDisabled();
	await paths.fill('/etc/hosts\n/etc/cron.d/*');
	await wg.getByRole('button', { name: 'Save' }).click();
	await expect(wg.locator('.paths li')).toHaveText(['/etc/cron.d/*', '/etc/hosts']);
	await shot(page, 'logs-watch-1440x900');

	// A console's access log: listed in the picker, and found by the search across all access logs.
	const marker = `panic-${run}`;
	const cons = await consoleWithOutput(page, device, marker);
	await win.getByRole('tab', { name: 'Viewer' }).click();
	await win.getByRole('button', { name: '‹ Sources' }).click();
	await win.getByTestId('access-logs').getByRole('button', { name: cons.name }).click();
	await expect(win.getByTestId('viewer-title')).toContainText(`${cons.name}: access log`);
	await expect(list.locator('.row', { hasText: 'boot step 399' })).toBeVisible({ timeout: 20_000 });
	await win.getByRole('tab', { name: 'Search access logs' }).click();
	const search = win.getByTestId('access-search');
	await search.getByLabel('Search access logs').fill(marker);
	await search.getByRole('button', { name: 'Search' }).click();
	const group = search.locator(`[data-testid="search-device"][data-device="${device}"]`);
	await expect(group.getByTestId('search-hit')).toHaveCount(8);
	await expect(group.getByTestId('search-hit').first()).toContainText(`kernel ${marker} 50`);
	await shot(page, 'logs-search-1440x900');
	const hit = group.getByTestId('search-hit').filter({ hasText: `kernel ${marker} 200` });
	const lineNo = Number(/line ([\d,]+)/.exec((await hit.textContent()) ?? '')![1].replace(/,/g, ''));
	await hit.click();
	const opened = list.locator(`.row[data-line="${lineNo}"]`);
	await expect(opened).toBeVisible();
	await expect(opened).toHaveClass(/target/);
	await expect(opened).toContainText(`kernel ${marker} 200`);
	await shot(page, 'logs-access-log-1440x900');

	// At tablet size the viewer still fits: nothing scrolls sideways but the lines.
	const tablet = await browser.newContext({
		viewport: { width: 768, height: 1024 },
		hasTouch: true,
		isMobile: true,
		baseURL: `http://127.0.0.1:${process.env.E2E_PORT ?? 3199}`
	});
	const tp = await tablet.newPage();
	await signIn(tp);
	await tp.goto(link);
	const tw = tp.locator('[data-testid="window"][data-app="logs"]').last();
	await expect(tw.locator('[data-testid="log-lines"] .row[data-line="2000"]')).toBeVisible({
		timeout: 20_000
	});
	expect(await tw.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);
	await shot(tp, 'logs-viewer-768x1024');
	// Wrapped lines: nothing scrolls sideways, and the marked line is still on screen.
	await tw.getByRole('button', { name: 'Wrap lines' }).tap();
	await expect(tw.getByRole('button', { name: 'Wrap lines' })).toHaveAttribute('aria-pressed', 'true');
	const view = tw.locator('[data-testid="log-lines"] .view');
	expect(await view.evaluate((v) => v.scrollWidth - v.clientWidth)).toBeLessThanOrEqual(0);
	await expect(tw.locator('[data-testid="log-lines"] .row[data-line="2000"]')).toBeVisible();
	await shot(tp, 'logs-wrapped-768x1024');
	await tw.getByRole('tab', { name: 'Bookmarks' }).tap();
	await expect(tw.getByTestId('bookmark').filter({ hasText: 'netdown' })).toBeVisible();
	await shot(tp, 'logs-bookmarks-768x1024');
	await tw.getByRole('tab', { name: 'Viewer' }).tap();
	await tw.getByRole('button', { name: '‹ Sources' }).tap();
	const tdev = await openDevice(tw.getByTestId('source-picker'), device);
	await expect(tdev.locator(`[data-testid="log-file"][data-path="${big}"]`)).toBeVisible({ timeout: 20_000 });
	await shot(tp, 'logs-picker-768x1024');
	await tablet.close();
});
