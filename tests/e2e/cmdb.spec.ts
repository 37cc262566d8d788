import fs from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { ADMIN, expect, mutate, test } from './helpers';

// Names unique to this run: the server (and its database) is shared by every spec in a run.
const run = Date.now().toString(36).slice(-5);
const RACK = `Rack${run}`;
const RACK_LABEL = `Rack ${run}`;
const RACK_CI = `rack-a-${run}`;
const ROOM = `room-${run}`;
const PC = `pc-${run}`;
const TAG = `AT-${run}`;
const SHOTS = 'test-results/screenshots';

/** Signs in once the login page has hydrated (hydration can blank a username typed before it). */
async function signIn(page: Page): Promise<void> {
	await page.goto('/login', { waitUntil: 'networkidle' });
	await page.getByLabel('Username').fill(ADMIN.username);
	await page.getByLabel('Password').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('taskbar')).toBeVisible();
}

/** An empty desktop, then the CMDB from its desktop icon, maximised where windows can be. */
async function openCmdb(page: Page): Promise<Locator> {
	await signIn(page);
	await mutate(page.request, 'desktop.saveLayout', {
		version: 1,
		windows: [],
		activeId: null,
		theme: 'light'
	});
	await page.reload();
	await expect(page.getByTestId('taskbar')).toBeVisible();
	await page.getByRole('button', { name: 'CMDB', exact: true }).first().click();
	const win = page.locator('[data-testid="window"][data-app="cmdb"]');
	await expect(win).toBeVisible();
	const maximise = win.getByRole('button', { name: 'Maximise' });
	if (await maximise.isVisible()) await maximise.click();
	await expect(win.getByRole('heading', { name: /All CIs/ })).toBeVisible();
	return win;
}

/** The CMDB's own navigation (the class tree sidebar, a drawer in the model editor and when narrow). */
async function nav(win: Locator): Promise<Locator> {
	const sidebar = win.getByRole('navigation', { name: 'CMDB', exact: true });
	if (!(await sidebar.isVisible())) await win.getByRole('button', { name: '☰ Classes' }).click();
	await expect(sidebar).toBeVisible();
	return sidebar;
}

async function openList(win: Locator, label: string): Promise<void> {
	await (await nav(win)).getByRole('button', { name: label, exact: true }).click();
	await expect(win.getByRole('region', { name: `${label} list` })).toBeVisible();
}

async function newCi(win: Locator, classLabel: string, fields: Record<string, string>): Promise<void> {
	await openList(win, classLabel);
	await win.getByRole('button', { name: `New ${classLabel}`, exact: true }).click();
	const form = win.getByRole('form', { name: `New ${classLabel}` });
	for (const [label, value] of Object.entries(fields)) {
		const input = label === 'Name' ? form.getByRole('textbox', { name: /^Name/ }) : form.getByLabel(label);
		if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
		else await input.fill(value);
	}
	await form.getByRole('button', { name: `Create ${classLabel}` }).click();
	await expect(win.getByRole('heading', { level: 2, name: fields.Name, exact: true })).toBeVisible();
	await expect(win.getByRole('status').filter({ hasText: `Created ${fields.Name}.` })).toBeVisible();
}

async function openCiBySearch(win: Locator, q: string, name: string): Promise<void> {
	await win.getByRole('searchbox', { name: 'Search the CMDB' }).fill(q);
	await win.getByRole('searchbox', { name: 'Search the CMDB' }).press('Enter');
	await win.getByRole('row').filter({ hasText: name }).getByRole('button', { name, exact: true }).click();
	await expect(win.getByRole('heading', { level: 2, name, exact: true })).toBeVisible();
}

async function tab(win: Locator, name: string): Promise<void> {
	const t = win.getByRole('tab', { name: new RegExp(`^${name}`) });
	await t.click();
	await expect(t).toHaveAttribute('aria-selected', 'true');
}

async function shot(page: Page, name: string): Promise<void> {
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.waitForTimeout(250); // let the last response paint
	await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

test.describe.configure({ mode: 'serial' });

test.describe('CMDB at 1440×900', () => {
	test.use({ viewport: { width: 1440, height: 900 } });

	test('define a class with attributes; the form checks values and names the field', async ({ page }) => {
		const win = await openCmdb(page);
		await (await nav(win)).getByRole('button', { name: 'Data model' }).click();
		const editor = win.getByRole('region', { name: 'Data model' });
		await expect(editor.getByRole('tab', { name: 'Classes' })).toHaveAttribute('aria-selected', 'true');

		// Inherited attributes are shown read-only with where they come from.
		await editor
			.getByRole('navigation', { name: 'Classes of the data model' })
			.getByRole('button', { name: 'Computer', exact: true })
			.click();
		await expect(editor.locator('tr[data-attribute="assetTag"]')).toContainText('from Item');
		await expect(
			editor.locator('tr[data-attribute="hostname"]').getByRole('button', { name: 'Edit attribute hostname' })
		).toBeVisible();

		await editor.getByRole('button', { name: 'New class' }).click();
		let dialog = win.getByRole('dialog', { name: 'New class' });
		await dialog.getByLabel('Class name').fill(RACK);
		await dialog.getByLabel('Label').fill(RACK_LABEL);
		await dialog.getByLabel('Description').fill('A 19-inch rack');
		await dialog.getByRole('button', { name: 'Create class' }).click();
		await expect(dialog).toHaveCount(0);
		await expect(win.getByRole('status').filter({ hasText: `Created class ${RACK}.` })).toBeVisible();
		const panel = editor.getByRole('article', { name: `Class ${RACK}` });
		await expect(panel.getByRole('heading', { name: RACK_LABEL })).toBeVisible();

		const addAttribute = async (fill: (d: Locator) => Promise<void>) => {
			await panel.getByRole('button', { name: 'Add attribute' }).click();
			const d = win.getByRole('dialog', { name: `New attribute of ${RACK}` });
			await fill(d);
			await d.getByRole('button', { name: 'Add attribute' }).click();
			await expect(d).toHaveCount(0);
		};
		await addAttribute(async (d) => {
			await d.getByLabel('Attribute name').fill('u');
			await d.getByLabel('Label').fill('Rack units');
			await d.getByLabel('Type').selectOption({ label: 'Integer' });
			await d.getByLabel('Required').check();
		});
		await addAttribute(async (d) => {
			await d.getByLabel('Attribute name').fill('vendor');
			await d.getByLabel('Label').fill('Vendor');
			await d.getByLabel('Type').selectOption({ label: 'List of values' });
			for (const v of ['APC', 'Rittal', 'Dell']) {
				await d.getByLabel('New value').fill(v);
				await d.getByLabel('New value').press('Enter');
			}
			await d.getByRole('button', { name: 'Remove value Dell' }).click();
			await d.getByLabel('Indexed, for fast filters and sorting').check();
		});
		await addAttribute(async (d) => {
			await d.getByLabel('Attribute name').fill('note');
			await d.getByLabel('Type').selectOption({ label: 'Text' });
		});
		await expect(panel.locator('tr[data-attribute="u"]')).toContainText('Integer');
		await expect(panel.locator('tr[data-attribute="u"]')).toContainText('required');
		await expect(panel.locator('tr[data-attribute="vendor"]')).toContainText('List of values: APC, Rittal');
		await expect(panel.locator('tr[data-attribute="vendor"]')).toContainText('indexed');
		await expect(panel.locator('tr[data-attribute="u"]')).not.toContainText('indexed');
		await shot(page, 'model-editor-1440');

		// A CI of the new class: the required attribute and a bad integer are caught in the form.
		await openList(win, RACK_LABEL);
		await win.getByRole('button', { name: `New ${RACK_LABEL}`, exact: true }).click();
		const form = win.getByRole('form', { name: `New ${RACK_LABEL}` });
		await form.getByRole('textbox', { name: /^Name/ }).fill(RACK_CI);
		await form.getByRole('button', { name: `Create ${RACK_LABEL}` }).click();
		await expect(form.getByText('Rack units: is required', { exact: true })).toBeVisible();
		await expect(form.getByLabel('Rack units')).toHaveAttribute('aria-invalid', 'true');
		await form.getByLabel('Rack units').fill('4x2');
		await form.getByLabel('Rack units').press('Tab');
		await expect(
			form.getByText('Rack units: must be a whole number (got "4x2")', { exact: true })
		).toBeVisible();
		await form.getByLabel('Rack units').fill('42');
		await form.getByLabel('Vendor').selectOption('Rittal');
		await form.getByLabel('note').fill('front row');
		await form.getByRole('button', { name: `Create ${RACK_LABEL}` }).click();
		await expect(win.getByRole('heading', { level: 2, name: RACK_CI, exact: true })).toBeVisible();
		await expect(win.getByLabel('Rack units')).toHaveValue('42');
		await expect(win.getByLabel('Vendor')).toHaveValue('Rittal');

		// Removing an attribute with values: the server's count is shown, then confirmed.
		await (await nav(win)).getByRole('button', { name: 'Data model' }).click();
		await editor
			.getByRole('navigation', { name: 'Classes of the data model' })
			.getByRole('button', { name: RACK_LABEL })
			.click();
		await panel.getByRole('button', { name: 'Remove attribute note' }).click();
		dialog = win.getByRole('dialog', { name: 'Remove attribute note' });
		await dialog.getByRole('button', { name: 'Remove attribute' }).click();
		await expect(dialog.getByRole('alert')).toHaveText(
			`1 CI(s) of ${RACK} have a value for note. Confirm to remove it: the values stay in each CI's history.`
		);
		await dialog.getByRole('button', { name: 'Remove anyway' }).click();
		await expect(dialog).toHaveCount(0);
		await expect(
			win.getByRole('status').filter({ hasText: 'the values of 1 CI(s) stay in their history' })
		).toBeVisible();
		await expect(panel.locator('tr[data-attribute="note"]')).toHaveCount(0);

		// The class can't be deleted while it has a CI; the server says why.
		await panel.getByRole('button', { name: 'Delete class' }).click();
		dialog = win.getByRole('dialog', { name: `Delete class ${RACK}` });
		await dialog.getByRole('button', { name: 'Delete class' }).click();
		await expect(dialog.getByRole('alert')).toHaveText(`${RACK} has 1 CI(s); delete or move them first.`);
		await dialog.getByRole('button', { name: 'Cancel' }).click();
	});

	test('create a room and a computer, relate them, see it from both sides; a unique value is refused', async ({
		page
	}) => {
		const win = await openCmdb(page);
		await newCi(win, 'Room', { Name: ROOM, 'Room type': 'server room', Capacity: '12' });
		await newCi(win, 'Computer', {
			Name: PC,
			'Asset tag': TAG,
			'Operating system': 'debian 12',
			'RAM (MB)': '16384',
			'IP address': '192.0.2.10'
		});

		await tab(win, 'Relations');
		await win.getByRole('button', { name: 'Add relation' }).click();
		const dialog = win.getByRole('dialog', { name: `Add relation to ${PC}` });
		await dialog.getByLabel('Relation').selectOption('RoomItems:target');
		await dialog.getByRole('combobox', { name: `${PC} is in` }).fill(ROOM);
		await dialog.getByRole('option', { name: new RegExp(ROOM) }).click();
		await dialog.getByRole('button', { name: 'Add relation' }).click();
		await expect(dialog).toHaveCount(0);
		const isIn = win.getByRole('region', { name: 'is in' });
		await expect(isIn.getByRole('button', { name: ROOM, exact: true })).toBeVisible();
		await expect(isIn).toContainText('RoomItems');

		// The other side reads the other way.
		await isIn.getByRole('button', { name: ROOM, exact: true }).click();
		await expect(win.getByRole('heading', { level: 2, name: ROOM, exact: true })).toBeVisible();
		await tab(win, 'Relations');
		await expect(
			win.getByRole('region', { name: 'contains' }).getByRole('button', { name: PC, exact: true })
		).toBeVisible();

		// RoomItems is 1:N: the computer can't be in a second room. The server's sentence is shown.
		await newCi(win, 'Room', { Name: `${ROOM}-b` });
		await tab(win, 'Relations');
		await win.getByRole('button', { name: 'Add relation' }).click();
		const again = win.getByRole('dialog', { name: `Add relation to ${ROOM}-b` });
		await again.getByLabel('Relation').selectOption('RoomItems:source');
		await again.getByRole('combobox', { name: `${ROOM}-b contains` }).fill(PC);
		await again.getByRole('option', { name: new RegExp(PC) }).click();
		await again.getByRole('button', { name: 'Add relation' }).click();
		await expect(again.getByRole('alert')).toContainText(`${PC} is in ${ROOM} already, and RoomItems is 1:N`);
		await again.getByRole('button', { name: 'Cancel' }).click();

		// A server-side check: the asset tag is unique across Items. The error sits at the field.
		await openList(win, 'Computer');
		await win.getByRole('button', { name: 'New Computer', exact: true }).click();
		const form = win.getByRole('form', { name: 'New Computer' });
		await form.getByRole('textbox', { name: /^Name/ }).fill(`${PC}-dup`);
		await form.getByLabel('Asset tag').fill(TAG);
		await form.getByRole('button', { name: 'Create Computer' }).click();
		await expect(form.locator('[data-attr="assetTag"] .error-text')).toHaveText(
			new RegExp(`^Asset tag: must be unique; "${TAG}" is already used by ${PC} \\(#\\d+\\)$`)
		);
		await expect(form.getByRole('alert')).toContainText(`assetTag: must be unique; "${TAG}"`);
		await expect(form.getByLabel('Asset tag')).toHaveAttribute('aria-invalid', 'true');
	});

	test('search with the search language; edit a CI and see the change in history; a concurrent edit is caught', async ({
		page,
		browser
	}) => {
		const win = await openCmdb(page);
		const box = win.getByRole('searchbox', { name: 'Search the CMDB' });
		await box.fill('class:Computer os~debian ramMb>=8192');
		const results = win.getByRole('region', { name: 'Search results' });
		const hit = results.getByRole('row').filter({ hasText: PC });
		await expect(hit).toContainText('Computer');
		await expect(hit).toContainText('debian 12');
		await expect(results.getByRole('columnheader', { name: 'RAM (MB)' })).toBeVisible();
		await box.fill(`class:Computer ramMb>99999999 ${PC}`);
		await expect(results.getByText('Nothing matches the search.')).toBeVisible();
		await box.fill(`class:Room ${ROOM}`);
		await expect(results.getByRole('row').filter({ hasText: PC })).toHaveCount(0);
		await expect(results.getByRole('row').filter({ hasText: ROOM }).first()).toContainText('Room');

		await openCiBySearch(win, `class:Computer ${PC}`, PC);
		const idText = await win
			.locator('.meta')
			.getByText(/^#\d+$/)
			.textContent();
		const id = Number(idText!.slice(1));

		await win.getByLabel('RAM (MB)').fill('32768');
		await win.getByLabel(/^Change message/).fill('more memory for the build farm');
		await win.getByRole('button', { name: 'Save', exact: true }).click();
		await expect(win.getByRole('status').filter({ hasText: `Saved ${PC} (version 2).` })).toBeVisible();
		await expect(win.locator('[data-attr="ramMb"] .manual')).toHaveAttribute('title', /^Set by hand/);

		await tab(win, 'History');
		const newest = win
			.getByRole('list', { name: `History of ${PC}` })
			.getByRole('listitem')
			.first();
		await expect(newest).toContainText('changed');
		await expect(newest).toContainText('version 2');
		await expect(newest).toContainText('“more memory for the build farm”');
		await expect(newest).toContainText('RAM (MB): 16,384 → 32,768');
		await expect(win.locator('li.entry[data-op="relate"]')).toContainText(`relate: is in ${ROOM}`);

		await win.getByRole('checkbox', { name: 'Compare version 1' }).check();
		await win.getByRole('checkbox', { name: 'Compare version 2' }).check();
		await win.getByRole('button', { name: 'Compare version 1 and 2' }).click();
		const diff = win.getByRole('region', { name: 'Differences between version 1 and 2' });
		await expect(diff.getByRole('row', { name: /RAM \(MB\)/ })).toContainText('16,384');
		await expect(diff.getByRole('row', { name: /RAM \(MB\)/ })).toContainText('32,768');
		await expect(diff.getByRole('row')).toHaveCount(2);

		await win
			.locator('li.entry[data-version="1"][data-op="create"]')
			.getByRole('button', { name: 'Show as it was' })
			.click();
		const then = win.getByRole('region', { name: `${PC} as it was` });
		await expect(then).toContainText('As it was: version 1');
		await expect(then).toContainText('16,384');
		await expect(then).toContainText(`is in ${ROOM}`);
		await shot(page, 'detail-history-1440');

		// Someone else changes the CI meanwhile: saving is refused with the server's sentence, Reload shows theirs.
		await tab(win, 'Attributes');
		const elsewhere = await browser.newContext();
		const other = await elsewhere.newPage();
		await signIn(other);
		await mutate(other.request, 'cmdb.update', { id, data: { cpu: 'Xeon E-2388G' } });
		await elsewhere.close();
		await win.getByLabel('Operating system').fill('debian 13');
		await win.getByRole('button', { name: 'Save', exact: true }).click();
		const conflict = win.getByRole('alert').filter({ hasText: 'was changed by someone else' });
		await expect(conflict).toContainText(`now at version 3, you edited version 2`);
		await conflict.getByRole('button', { name: 'Reload' }).click();
		await expect(win.locator('[data-attr="cpu"] input')).toHaveValue('Xeon E-2388G');
		await expect(win.getByLabel('Operating system')).toHaveValue('debian 12');
		await expect(win.locator('.meta')).toContainText('version 3');
		await shot(page, 'detail-1440');
	});

	test('the impact graph shows the related CI; list columns are kept per user after a reload', async ({
		page
	}) => {
		const win = await openCmdb(page);
		await openCiBySearch(win, `class:Computer ${PC}`, PC);
		await tab(win, 'Impact graph');
		const graph = win.getByRole('application', { name: /Impact graph/ });
		await expect(graph).toBeVisible();
		await expect(graph.getByRole('button', { name: new RegExp(`^Open ${PC}`) })).toBeVisible();
		await expect(graph.getByRole('button', { name: new RegExp(`^Open ${ROOM} `) })).toBeVisible();

		await openList(win, 'Computer');
		const list = win.getByRole('region', { name: 'Computer list' });
		await expect(list.getByRole('columnheader', { name: 'Serial number' })).toBeVisible();
		await list.getByRole('button', { name: 'Columns' }).click();
		let saved = page.waitForResponse((r) => r.url().includes('cmdb.saveListPrefs') && r.ok());
		await list.getByRole('checkbox', { name: 'Operating system' }).check();
		await saved;
		saved = page.waitForResponse((r) => r.url().includes('cmdb.saveListPrefs') && r.ok());
		await list.getByRole('checkbox', { name: 'Serial number' }).uncheck();
		await saved;
		await page.keyboard.press('Escape');
		await expect(list.getByRole('columnheader', { name: 'Operating system' })).toBeVisible();
		await expect(list.getByRole('columnheader', { name: 'Serial number' })).toHaveCount(0);

		// Sort by a column, both ways.
		await list.getByRole('columnheader', { name: 'Name', exact: true }).getByRole('button').click();
		await expect(list.getByRole('columnheader', { name: 'Name', exact: true })).toHaveAttribute(
			'aria-sort',
			'descending'
		);

		// A filter from the builder narrows the list and goes into the export link.
		await list.getByRole('button', { name: 'Add filter…' }).click();
		await list.getByLabel('Attribute').selectOption({ label: 'Operating system' });
		await list.getByLabel('Operator').selectOption({ label: 'contains' });
		await list.getByLabel('Value').fill('debian');
		await list.getByRole('button', { name: 'Add filter', exact: true }).click();
		await expect(list.getByRole('list', { name: 'Active filters' })).toContainText(
			'Operating system contains debian'
		);
		await expect(list.getByRole('searchbox', { name: 'Filter Computer' })).toHaveValue('os~debian');
		await expect(list.getByRole('row').filter({ hasText: PC })).toContainText('debian 12');
		const href = await list.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
		const url = new URL(href!, 'http://x');
		expect(url.pathname).toBe('/api/cmdb/export.csv');
		expect(Object.fromEntries(url.searchParams)).toMatchObject({
			class: 'Computer',
			q: 'os~debian',
			sort: 'name',
			dir: 'desc'
		});
		expect(url.searchParams.get('columns')).toContain('os');
		// The export is the list on screen: its filter, its columns.
		const [download] = await Promise.all([
			page.waitForEvent('download'),
			list.getByRole('link', { name: 'Export CSV' }).click()
		]);
		const csv = fs.readFileSync(await download.path(), 'utf8').split(/\r?\n/);
		expect(csv[0]).toContain('assetTag');
		expect(csv[0]).toContain('os');
		expect(csv[0]).not.toContain('serialNumber');
		expect(csv.find((line) => line.includes(PC))).toContain('debian 12');
		await shot(page, 'list-1440');

		// The window comes back on the same list, with the same columns, filter and order.
		await expect
			.poll(async () => JSON.stringify(await (await page.request.get('/api/trpc/desktop.layout')).json()))
			.toContain('"class":"Computer"');
		await page.reload();
		const again = page
			.locator('[data-testid="window"][data-app="cmdb"]')
			.getByRole('region', { name: 'Computer list' });
		await expect(again.getByRole('columnheader', { name: 'Operating system' })).toBeVisible();
		await expect(again.getByRole('columnheader', { name: 'Serial number' })).toHaveCount(0);
		await expect(again.getByRole('searchbox', { name: 'Filter Computer' })).toHaveValue('os~debian');
		await expect(again.getByRole('columnheader', { name: 'Name', exact: true })).toHaveAttribute(
			'aria-sort',
			'descending'
		);
		await expect(again.getByRole('row').filter({ hasText: PC })).toBeVisible();

		// Superclass lists hold their subclasses' CIs, with a Class column.
		await openList(page.locator('[data-testid="window"][data-app="cmdb"]'), 'Item');
		const items = page.getByRole('region', { name: 'Item list' });
		await expect(items.getByRole('columnheader', { name: 'Class' })).toBeVisible();
		await expect(items.getByRole('row').filter({ hasText: PC })).toContainText('Computer');
		await expect(items.getByRole('button', { name: 'New…' })).toBeVisible();
	});
});

test.describe('CMDB on a tablet (820×1180)', () => {
	test.use({ viewport: { width: 820, height: 1180 }, hasTouch: true });

	test('list, detail and data model fit the screen', async ({ page }) => {
		const win = await openCmdb(page);
		await openList(win, 'Computer');
		await expect(win.getByRole('row').filter({ hasText: PC })).toBeVisible();
		await shot(page, 'list-820');

		await win.getByRole('row').filter({ hasText: PC }).getByRole('button', { name: PC, exact: true }).click();
		await expect(win.getByRole('heading', { level: 2, name: PC, exact: true })).toBeVisible();
		await expect(win.getByLabel('RAM (MB)')).toHaveValue('32768');
		await shot(page, 'detail-820');

		await (await nav(win)).getByRole('button', { name: 'Data model' }).click();
		const editor = win.getByRole('region', { name: 'Data model' });
		await editor
			.getByRole('navigation', { name: 'Classes of the data model' })
			.getByRole('button', { name: RACK_LABEL })
			.click();
		await expect(editor.locator('tr[data-attribute="u"]')).toBeVisible();
		await shot(page, 'model-editor-820');

		// Nothing is wider than the screen.
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		expect(overflow).toBeLessThanOrEqual(0);
	});
});
