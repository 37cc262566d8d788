import crypto from 'node:crypto';
import fs from 'node:fs';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { expect, mutate, signIn, test } from './helpers';

// Documents, CSV import, the impact graph and API tokens, driven through the CMDB app as a user would.
// Names are unique to this run: one server (and database) serves every spec of a run.
const run = Date.now().toString(36).slice(-5);
const FIXTURES = 'tests/fixtures/e2e';
const SHOTS = 'test-results/screenshots';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** On an empty desktop, opens the CMDB from its desktop icon (maximised unless the tablet view shows it full-screen). */
async function openCmdb(page: Page, { maximise = true } = {}): Promise<Locator> {
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
	if (maximise) await win.getByRole('button', { name: 'Maximise' }).click();
	await expect(win.getByText('Loading the CMDB…')).toHaveCount(0);
	return win;
}

/** Opens the list of a class from the sidebar (on a narrow window, from the class drawer). */
async function openClass(win: Locator, label: string): Promise<Locator> {
	const tree = win.getByRole('navigation', { name: 'Classes' });
	const drawer = win.getByRole('button', { name: '☰ Classes' });
	await expect(tree.or(drawer).first()).toBeVisible();
	if (!(await tree.isVisible())) await drawer.click();
	await tree.getByRole('button', { name: label, exact: true }).click();
	const list = win.getByRole('region', { name: `${label} list` });
	await expect(list).toBeVisible();
	return list;
}

/** The name heading of the CI shown (the window's title bar carries the name too). */
const ciHeading = (win: Locator, name: string) =>
	win.getByRole('article').getByRole('heading', { name, level: 2, exact: true });

/** Opens a CI from its class list, then one of its tabs. */
async function openCi(win: Locator, classLabel: string, name: string, tab: string): Promise<void> {
	const list = await openClass(win, classLabel);
	await list.getByRole('button', { name, exact: true }).click();
	await expect(ciHeading(win, name)).toBeVisible();
	await win.getByRole('tab', { name: tab }).click();
	await expect(win.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
}

/** CIs this spec made, deleted after it: other specs share the database and page through lists. */
const created: number[] = [];

async function createCi(page: Page, cls: string, name: string, data: Record<string, unknown> = {}) {
	const id = (await mutate(page.request, 'cmdb.create', { class: cls, name, data })) as number;
	created.push(id);
	return id;
}

test.afterAll(async ({ browser }) => {
	const context = await browser.newContext();
	const page = await context.newPage();
	await signIn(page);
	const imported = await query<{ items: { id: number }[] }>(page.request, 'cmdb.list', {
		class: 'Computer',
		q: 'e2e-pc-',
		limit: 100
	});
	for (const id of [...created, ...imported.items.map((i) => i.id)])
		await mutate(page.request, 'cmdb.delete', { id }).catch(() => undefined);
	await context.close();
});

async function relate(page: Page, domain: string, sourceId: number, targetId: number) {
	await mutate(page.request, 'cmdb.relate', { domain, sourceId, targetId });
}

async function query<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
	const res = await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
	expect(res.ok(), `${path}: ${res.status()}`).toBe(true);
	return ((await res.json()) as { result: { data: T } }).result.data;
}

/** A device that depends on storage and memory, and that software and a service depend on. */
async function impactFixture(page: Page, prefix: string) {
	const db = await createCi(page, 'Device', `${prefix}-db`);
	const lun = await createCi(page, 'Storage', `${prefix}-lun`);
	const dimm = await createCi(page, 'Memory', `${prefix}-dimm`);
	const pg = await createCi(page, 'SoftwareProduct', `${prefix}-postgres`);
	const app = await createCi(page, 'SoftwareProduct', `${prefix}-billing`);
	await relate(page, 'ItemStorage', db, lun);
	await relate(page, 'ItemMemory', db, dimm);
	await relate(page, 'SoftwareInstallations', pg, db);
	await relate(page, 'SoftwareInstallations', app, db);
	return { db, lun, dimm, pg, app };
}

test.describe('CMDB documents, CSV import, impact graph and API tokens (1440×900)', () => {
	test.use({ viewport: { width: 1440, height: 900 } });

	test('upload documents, download them unchanged, edit, filter and delete', async ({ page }) => {
		await signIn(page);
		const host = `e2e-doc-host-${run}`;
		const hostId = await createCi(page, 'Device', host);
		const win = await openCmdb(page);
		await openCi(win, 'Device', host, 'Documents');
		const tab = win.getByRole('region', { name: 'Documents' });
		await expect(tab.getByText('No documents yet.')).toBeVisible();

		// The fixture and a binary file above adapter-node's default 512 KB body limit, from the file picker…
		const manual = fs.readFileSync(`${FIXTURES}/rack-manual.pdf`);
		const large = Buffer.concat([
			Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
			crypto.randomBytes(1_200_000),
			Buffer.from('\n%%EOF\n')
		]);
		await tab.getByTestId('document-file-input').setInputFiles([
			{ name: 'rack-manual.pdf', mimeType: 'application/pdf', buffer: manual },
			{ name: 'wiring-diagram.pdf', mimeType: 'application/pdf', buffer: large }
		]);
		// …and one over 20 MB dropped onto the tab (made in the page: quicker than sending 21 MB over CDP).
		await tab.evaluate((el) => {
			const dt = new DataTransfer();
			dt.items.add(new File([new Uint8Array(21 * 1024 * 1024)], 'too-big.pdf', { type: 'application/pdf' }));
			for (const type of ['dragenter', 'dragover', 'drop'])
				el.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		});
		const queue = tab.getByRole('region', { name: 'Files to upload' });
		// Refused before anything is sent: the limit is shown with the file.
		await expect(queue.locator('[data-upload="too-big.pdf"]')).toContainText('at most 20 MB');
		await queue.getByLabel('Category of rack-manual.pdf').selectOption('manual');
		await queue.getByLabel('Description of rack-manual.pdf').fill('Rack R12 installation');
		await queue.getByLabel('Category of wiring-diagram.pdf').selectOption('drawing');
		await queue.getByRole('button', { name: 'Upload 2 files' }).click();

		const list = tab.getByRole('list', { name: 'Documents of this CI' });
		await expect(list.locator('[data-document]')).toHaveCount(2, { timeout: 20_000 });
		await expect(queue.locator('[data-upload]')).toHaveCount(1); // only the refused one is left
		const row = list.locator('[data-document="rack-manual.pdf"]');
		await expect(row).toContainText('Manual');
		await expect(row).toContainText('Rack R12 installation');
		await expect(row).toContainText('admin');
		await expect(row).toContainText(`${manual.length} B`);
		await expect(row).toContainText(sha256(manual).slice(0, 16));
		await queue.getByRole('button', { name: 'Clear' }).click();

		// Downloads are byte for byte what was uploaded.
		for (const [name, bytes] of [
			['rack-manual.pdf', manual],
			['wiring-diagram.pdf', large]
		] as const) {
			const download = page.waitForEvent('download');
			await list.getByRole('link', { name: `Download ${name}` }).click();
			const d = await download;
			expect(d.suggestedFilename()).toBe(name);
			expect(sha256(fs.readFileSync((await d.path())!))).toBe(sha256(bytes));
		}
		await page.screenshot({ path: `${SHOTS}/cmdb-documents-1440x900.png` });

		// Edit category and description in place.
		await list.getByRole('button', { name: 'Edit wiring-diagram.pdf' }).click();
		const edit = list.getByRole('form', { name: 'Edit wiring-diagram.pdf' });
		await edit.getByLabel('Category').selectOption('report');
		await edit.getByLabel('Description').fill('As built, March');
		await edit.getByRole('button', { name: 'Save' }).click();
		const wiring = list.locator('[data-document="wiring-diagram.pdf"]');
		await expect(wiring).toContainText('Report');
		await expect(wiring).toContainText('As built, March');

		// Filters: by category, then by name.
		await tab.getByLabel('Filter by category').selectOption('manual');
		await expect(list.locator('[data-document]')).toHaveCount(1);
		await expect(row).toBeVisible();
		await tab.getByLabel('Filter by category').selectOption('');
		await tab.getByLabel('Filter documents by name').fill('wiring');
		await expect(list.locator('[data-document]')).toHaveCount(1);
		await expect(wiring).toBeVisible();
		await tab.getByLabel('Filter documents by name').fill('');

		// Delete asks first; the document is gone on the server too.
		await list.getByRole('button', { name: 'Delete wiring-diagram.pdf' }).click();
		await list
			.getByRole('alertdialog', { name: 'Delete wiring-diagram.pdf' })
			.getByRole('button', { name: 'Delete' })
			.click();
		await expect(list.locator('[data-document]')).toHaveCount(1);
		const left = await query<{ filename: string }[]>(page.request, 'cmdb.documents.list', { ciId: hostId });
		expect(left.map((d) => d.filename)).toEqual(['rack-manual.pdf']);
	});

	test('import 50 computers from CSV: the dry run shows 3 bad rows, the fixed file imports all 50', async ({
		page
	}) => {
		await signIn(page);
		const win = await openCmdb(page);
		const list = await openClass(win, 'Computer');
		await list.getByRole('button', { name: 'Import CSV' }).click();
		const dialog = win.getByRole('dialog', { name: 'Import CSV into Computer' });
		await dialog.getByTestId('import-file-input').setInputFiles(`${FIXTURES}/computers-50-3-bad.csv`);

		// Columns mapped from the header (by attribute label); the asset tag, unique, is the key.
		await expect(dialog.getByTestId('import-file')).toContainText('50 rows');
		await expect(dialog.getByLabel('Attribute for column RAM (MB)')).toHaveValue('ramMb');
		await expect(dialog.getByLabel('Attribute for column Name')).toHaveValue('name');
		await expect(dialog.getByLabel('Key: find existing CIs by')).toHaveValue('assetTag');
		await dialog.getByLabel('Change message (optional)').fill(`e2e import ${run}`);
		await page.screenshot({ path: `${SHOTS}/cmdb-import-mapping-1440x900.png` });
		await dialog.getByRole('button', { name: 'Dry run' }).click();

		// Three error rows, each with its line in the file and the field at fault; nothing imported.
		await expect(dialog.getByRole('alert')).toContainText('3 rows have errors; nothing has been imported');
		await expect(dialog.locator('[data-count="error"]')).toContainText('3');
		await expect(dialog.locator('[data-count="insert"]')).toContainText('47');
		const errors = dialog.locator('tr[data-action="error"]');
		await expect(errors).toHaveCount(3);
		await expect(errors.nth(0)).toHaveAttribute('data-line', '8');
		await expect(errors.nth(0)).toContainText('RAM (MB) (ramMb)');
		await expect(errors.nth(1)).toHaveAttribute('data-line', '24');
		await expect(errors.nth(1)).toContainText('IP address (ipAddress)');
		await expect(errors.nth(2)).toHaveAttribute('data-line', '42');
		await expect(errors.nth(2)).toContainText('Status (status)');
		await expect(dialog.getByRole('button', { name: 'Import', exact: true })).toBeDisabled();
		// "All rows" lists the good rows too.
		await dialog.getByLabel('Show').selectOption('all');
		await expect(dialog.locator('tr[data-action]')).toHaveCount(50);
		await dialog.getByLabel('Show').selectOption('error');
		await page.screenshot({ path: `${SHOTS}/cmdb-import-errors-1440x900.png` });
		expect(
			(await query<{ total: number }>(page.request, 'cmdb.list', { class: 'Computer', q: 'e2e-pc-' })).total
		).toBe(0);

		// The fixed file, with the mapping kept: it is checked again at once.
		await dialog.getByRole('button', { name: 'Choose another file' }).click();
		await dialog.getByTestId('import-file-input').setInputFiles(`${FIXTURES}/computers-50.csv`);
		await expect(dialog.locator('[data-count="insert"]')).toContainText('50');
		await expect(dialog.locator('[data-count="error"]')).toContainText('0');
		await dialog.getByRole('button', { name: 'Import 50 CIs' }).click();
		await expect(dialog.getByRole('status')).toContainText('50 created, 0 updated, 0 unchanged');
		await page.screenshot({ path: `${SHOTS}/cmdb-import-done-1440x900.png` });
		await dialog.getByRole('button', { name: 'Done' }).click();
		await expect(dialog).toHaveCount(0);

		// The 50 CIs are in the list.
		const filter = list.getByRole('searchbox', { name: 'Filter Computer' });
		await filter.fill('e2e-pc-');
		await filter.press('Enter');
		await expect(list.getByRole('navigation', { name: 'Pages' })).toContainText('of 50');
		await expect(list.getByRole('button', { name: 'e2e-pc-001', exact: true })).toBeVisible();
		const stored = await query<{ total: number; items: { name: string }[] }>(page.request, 'cmdb.list', {
			class: 'Computer',
			q: 'e2e-pc-',
			limit: 100
		});
		expect(stored.total).toBe(50);
		expect(new Set(stored.items.map((i) => i.name)).size).toBe(50);
		// The list keeps its filter per user; leave it empty for the other specs that run as admin.
		const cleared = page.waitForResponse((r) => r.url().includes('cmdb.saveListPrefs') && r.ok());
		await filter.fill('');
		await filter.press('Enter');
		await cleared;
	});

	test('impact graph: upstream, affected, depth, open a CI from the graph, the list view', async ({
		page
	}) => {
		await signIn(page);
		const prefix = `e2e-imp-${run}`;
		const ids = await impactFixture(page, prefix);
		const lonely = `${prefix}-lonely`;
		await createCi(page, 'Device', lonely);
		const win = await openCmdb(page);
		await openCi(win, 'Device', `${prefix}-db`, 'Impact graph');

		const graph = win.getByRole('application', { name: /Impact graph/ });
		await expect(graph.locator('[data-node]')).toHaveCount(5);
		await expect(graph.locator('path.edge')).toHaveCount(4);
		const x = async (id: number) => (await graph.locator(`[data-node="${id}"]`).boundingBox())!.x;
		// What it depends on left of it, what is affected right of it.
		expect(await x(ids.lun)).toBeLessThan(await x(ids.db));
		expect(await x(ids.dimm)).toBeLessThan(await x(ids.db));
		expect(await x(ids.pg)).toBeGreaterThan(await x(ids.db));
		await expect(win.getByText('Depends on 2 · 2 affected')).toBeVisible();

		// Zoom in and fit again.
		const before = (await graph.locator(`[data-node="${ids.db}"]`).boundingBox())!.width;
		await win.getByRole('button', { name: 'Zoom in' }).click();
		expect((await graph.locator(`[data-node="${ids.db}"]`).boundingBox())!.width).toBeGreaterThan(before);
		await win.getByRole('button', { name: 'Fit' }).click();
		expect((await graph.locator(`[data-node="${ids.db}"]`).boundingBox())!.width).toBeCloseTo(before, 0);
		await page.screenshot({ path: `${SHOTS}/cmdb-impact-graph-1440x900.png` });

		// The list view says the same in words.
		await win.getByRole('button', { name: 'List', exact: true }).click();
		const affected = win.locator('[data-section="affected"]');
		await expect(affected).toContainText(`${prefix}-postgres`);
		await expect(affected).toContainText(`${prefix}-billing`);
		await expect(win.locator('[data-section="depends"]')).toContainText(`${prefix}-lun`);
		await win.getByRole('button', { name: 'Graph', exact: true }).click();

		// Depth 1 from the storage: only the device; depth 2 also reaches the software on it.
		await graph.locator(`[data-node="${ids.pg}"]`).click();
		await expect(ciHeading(win, `${prefix}-postgres`)).toBeVisible();
		await win.getByRole('button', { name: '‹ Back' }).click();
		await expect(ciHeading(win, `${prefix}-db`)).toBeVisible();

		await openCi(win, 'Storage', `${prefix}-lun`, 'Impact graph');
		await win.getByLabel('Depth').selectOption('1');
		await expect(graph.locator('[data-node]')).toHaveCount(2);
		await win.getByLabel('Depth').selectOption('2');
		await expect(graph.locator('[data-node]')).toHaveCount(4);

		await openCi(win, 'Device', lonely, 'Impact graph');
		await expect(win.getByText('Nothing depends on this CI and it depends on nothing.')).toBeVisible();
	});

	test('API token: create, copy, use against /api/v1, revoke, refused', async ({
		page,
		request,
		context
	}) => {
		await context.grantPermissions(['clipboard-read', 'clipboard-write']);
		await signIn(page);
		const win = await openCmdb(page);
		await win.getByRole('navigation', { name: 'CMDB' }).getByRole('button', { name: 'API tokens' }).click();
		await expect(win.getByRole('link', { name: '/api/v1/openapi.json' })).toBeVisible();
		const name = `e2e sync ${run}`;
		await win.getByLabel('Token name').fill(name);
		await win.getByLabel('Scope').selectOption('read');
		await win.getByLabel('Expires after').selectOption('30');
		await win.getByRole('button', { name: 'Create token' }).click();

		const box = win.getByTestId('new-token');
		await expect(box).toContainText('you won’t see it again');
		const shown = await box.getByTestId('new-token-value').inputValue();
		expect(shown).toMatch(/^fdk_\d+_[a-z2-7]{32}$/);
		await box.getByRole('button', { name: 'Copy', exact: true }).click();
		await expect(box.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
		const token = await page.evaluate(() => navigator.clipboard.readText());
		expect(token).toBe(shown);
		await expect(box).toContainText(`Authorization: Bearer ${token}`);
		const row = win.locator(`tr[data-token="${name}"]`);
		await expect(row).toContainText('active');
		await page.screenshot({ path: `${SHOTS}/cmdb-tokens-1440x900.png` });

		// `request` has no session cookie: only the token authenticates it.
		const ok = await request.get('/api/v1/cis', { headers: { authorization: `Bearer ${token}` } });
		expect(ok.status()).toBe(200);
		expect(await request.get('/api/v1/cis').then((r) => r.status())).toBe(401);

		await box.getByRole('button', { name: 'I have copied it' }).click();
		await expect(box).toHaveCount(0);
		await row.getByRole('button', { name: `Revoke ${name}` }).click();
		await win.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
		await expect(row).toContainText('revoked');
		await expect(row.getByRole('button', { name: `Revoke ${name}` })).toHaveCount(0);
		const refused = await request.get('/api/v1/cis', { headers: { authorization: `Bearer ${token}` } });
		expect(refused.status()).toBe(401);
	});
});

test.describe('CMDB documents without write access (1440×900)', () => {
	test.use({ viewport: { width: 1440, height: 900 } });

	test('a Viewer can list and download documents but not add, edit or delete them', async ({
		page,
		browser
	}) => {
		await signIn(page);
		const host = `e2e-ro-host-${run}`;
		const hostId = await createCi(page, 'Device', host);
		const origin = { origin: `http://127.0.0.1:${process.env.E2E_PORT ?? 3199}` };
		const manual = fs.readFileSync(`${FIXTURES}/rack-manual.pdf`);
		const up = await page.request.post(`/api/cmdb/cis/${hostId}/documents`, {
			headers: origin,
			multipart: {
				file: { name: 'rack-manual.pdf', mimeType: 'application/pdf', buffer: manual },
				category: 'manual',
				description: ''
			}
		});
		expect(up.status()).toBe(201);
		const roles = await query<{ id: number; name: string }[]>(page.request, 'roles.list', undefined);
		const viewer = `e2e-viewer-${run}`;
		await mutate(page.request, 'users.create', {
			username: viewer,
			password: 'viewer-password-1',
			roleIds: [roles.find((r) => r.name === 'Viewer')!.id]
		});

		const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
		const other = await context.newPage();
		const errors: string[] = [];
		other.on('pageerror', (e) => errors.push(e.message));
		await signIn(other, viewer, 'viewer-password-1');
		const win = await openCmdb(other);
		await openCi(win, 'Device', host, 'Documents');
		const tab = win.getByRole('region', { name: 'Documents' });
		const row = tab.locator('[data-document="rack-manual.pdf"]');
		await expect(row).toBeVisible();
		await expect(tab.getByRole('button', { name: 'Add files…' })).toHaveCount(0);
		await expect(tab.getByTestId('document-file-input')).toHaveCount(0);
		await expect(row.getByRole('button')).toHaveCount(0); // no Edit, no Delete
		const download = other.waitForEvent('download');
		await row.getByRole('link', { name: 'Download rack-manual.pdf' }).click();
		expect(sha256(fs.readFileSync((await (await download).path())!))).toBe(sha256(manual));
		// The server is the control, not the hidden button.
		const refused = await other.request.post(`/api/cmdb/cis/${hostId}/documents`, {
			headers: origin,
			multipart: { file: { name: 'x.pdf', mimeType: 'application/pdf', buffer: manual } }
		});
		expect(refused.status()).toBe(403);
		expect(errors).toEqual([]);
		await context.close();
	});
});

test.describe('CMDB documents, import, impact graph and tokens on a tablet (820×1180)', () => {
	test.use({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true });

	test('each component fits the full-screen app', async ({ page }) => {
		await signIn(page);
		const prefix = `e2e-tab-${run}`;
		const ids = await impactFixture(page, prefix);
		const win = await openCmdb(page, { maximise: false });
		const box = (await win.boundingBox())!;
		expect(box.width).toBe(820);
		// Nothing in the app is wider than the screen: no sideways scrolling of the whole app.
		const noSideways = async () =>
			expect(await win.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);

		await openCi(win, 'Device', `${prefix}-db`, 'Documents');
		const tab = win.getByRole('region', { name: 'Documents' });
		await tab.getByTestId('document-file-input').setInputFiles(`${FIXTURES}/rack-manual.pdf`);
		await tab.getByRole('button', { name: 'Upload 1 file' }).tap();
		await expect(tab.locator('[data-document="rack-manual.pdf"]')).toBeVisible();
		await noSideways();
		await page.screenshot({ path: `${SHOTS}/cmdb-documents-820x1180.png` });

		await win.getByRole('tab', { name: 'Impact graph' }).tap();
		const graph = win.getByRole('application', { name: /Impact graph/ });
		await expect(graph.locator('[data-node]')).toHaveCount(5);
		await noSideways();
		await page.screenshot({ path: `${SHOTS}/cmdb-impact-graph-820x1180.png` });
		await graph.locator(`[data-node="${ids.app}"]`).tap();
		await expect(ciHeading(win, `${prefix}-billing`)).toBeVisible();

		const list = await openClass(win, 'Computer');
		await list.getByRole('button', { name: 'Import CSV' }).tap();
		const dialog = win.getByRole('dialog', { name: 'Import CSV into Computer' });
		await dialog.getByTestId('import-file-input').setInputFiles(`${FIXTURES}/computers-50-3-bad.csv`);
		await expect(dialog.getByTestId('import-file')).toContainText('50 rows');
		await page.screenshot({ path: `${SHOTS}/cmdb-import-mapping-820x1180.png` });
		await dialog.getByRole('button', { name: 'Dry run' }).tap();
		// The computers of the desktop test already exist: these rows would update them, and 3 still fail.
		await expect(dialog.locator('tr[data-action="error"]')).toHaveCount(3);
		await noSideways();
		await page.screenshot({ path: `${SHOTS}/cmdb-import-errors-820x1180.png` });
		await dialog.getByRole('button', { name: 'Close' }).tap();
		await expect(dialog).toHaveCount(0);

		const nav = win.getByRole('navigation', { name: 'CMDB' });
		if (!(await nav.getByRole('button', { name: 'API tokens' }).isVisible()))
			await win.getByRole('button', { name: '☰ Classes' }).tap();
		await nav.getByRole('button', { name: 'API tokens' }).tap();
		await win.getByLabel('Token name').fill(`e2e tablet ${run}`);
		await win.getByRole('button', { name: 'Create token' }).tap();
		await expect(win.getByTestId('new-token')).toBeVisible();
		await expect(win.locator(`tr[data-token="e2e tablet ${run}"]`)).toContainText('active');
		await noSideways();
		await page.screenshot({ path: `${SHOTS}/cmdb-tokens-820x1180.png` });
	});
});
