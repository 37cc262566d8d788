// The Consoles app with a real agent and a real PTY: a shell console made in the app's form, an operator
// (administrator) and a read-only viewer in the same console from two browser contexts, input typed by one
// seen by both, the viewer's keys not sent (and dropped by the server when sent anyway), the paste guard,
// the key row, and the access log replayed and sought back to earlier output.
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { io } from 'socket.io-client';
import {
	ADMIN,
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

const PORT = Number(process.env.E2E_PORT ?? 3199);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const run = Date.now().toString(36).slice(-5);

const agents = new RealAgents();
test.afterAll(() => agents.stop());

/** A real agent enrolled into `groupId`, running with shell, ssh and telnet consoles allowed; returns its device. */
async function agentDevice(page: Page, groupId: number): Promise<{ name: string; id: number }> {
	const { name, agent } = await agents.enrolAndRun(
		await joinToken(page, groupId),
		{ consoles: { allow: ['shell', 'ssh', 'telnet'] } },
		'consoles-e2e-agent-'
	);
	let id = 0;
	await expect(async () => {
		const devices = await query<{ name: string; deviceId: number | null; online: boolean }[]>(
			page.request,
			'fleet.devices'
		);
		const d = devices.find((x) => x.name === name);
		expect(d?.online, agent.output()).toBe(true);
		id = d!.deviceId!;
	}).toPass({ timeout: 20_000 });
	return { name, id };
}

/** An empty desktop, then the Consoles app from its desktop icon (maximised where windows can be). */
async function openConsoles(page: Page, { maximise = true } = {}): Promise<Locator> {
	const win = await openApp(page, 'Consoles', 'consoles');
	if (maximise) await win.getByRole('button', { name: 'Maximise' }).click();
	await expect(win.getByTestId('console-picker')).toBeVisible();
	return win;
}

/** Opens a console from the picker; returns its live view once the pipe is open. */
async function openConsole(win: Locator, name: string): Promise<Locator> {
	await win.getByRole('searchbox', { name: 'Search consoles' }).fill(name);
	await win
		.locator(`li[data-console="${name}"]`)
		.getByRole('button', { name: `Open ${name}` })
		.click();
	const view = win.locator(`[data-testid="console-view"][data-console="${name}"]`);
	await expect(view.getByTestId('console-status')).toHaveAttribute('data-phase', 'joined', {
		timeout: 20_000
	});
	await expect(view.getByTestId('pipe-state')).toHaveText('open', { timeout: 30_000 });
	return view;
}

const screen = (view: Locator) => view.locator('.xterm-rows');

/** The browser's session cookie, for a raw Socket.IO client that skips the app's UI. */
async function cookieHeader(context: BrowserContext): Promise<string> {
	return (await context.cookies(ORIGIN)).map((c) => `${c.name}=${c.value}`).join('; ');
}

test('two people share a live shell console: one types, both see it; the viewer cannot type; the log replays', async ({
	page,
	browser
}) => {
	test.setTimeout(180_000);
	await page.setViewportSize({ width: 1440, height: 900 });
	await signIn(page);
	const groupId = await newGroup(page, `consoles-e2e-${run}`);
	const device = await agentDevice(page, groupId);

	// A viewer who may only watch consoles in that group.
	const role = (await mutate(page.request, 'roles.create', {
		name: `console-watcher-${run}`,
		permissions: ['desktop.use']
	})) as { id: number };
	await mutate(page.request, 'grants.set', { roleId: role.id, groupId, actions: ['console.view'] });
	const viewerName = `watcher-${run}`;
	await mutate(page.request, 'users.create', {
		username: viewerName,
		password: 'watcher-password-1',
		roleIds: [role.id]
	});

	// The administrator creates the shell console in the app's form.
	const win = await openConsoles(page);
	const name = `sh-${run}`;
	await win.getByRole('button', { name: 'New console…' }).click();
	const form = page.getByTestId('console-form');
	await form.getByLabel('Console name').fill(name);
	await form.getByLabel('Device', { exact: true }).selectOption({ label: device.name });
	await form.getByLabel('Kind').selectOption('shell');
	await form.getByLabel('Tags').fill('e2e, lab');
	await expect(form.getByLabel('Host')).toHaveCount(0);
	await shot(page, 'consoles-form-1440x900');
	await form.getByRole('button', { name: 'Create console' }).click();
	await expect(form).toHaveCount(0);

	// The new console opened in a tab; the operator types, the shell runs it.
	const op = win.locator(`[data-testid="console-view"][data-console="${name}"]`);
	await expect(op.getByTestId('pipe-state')).toHaveText('open', { timeout: 30_000 });
	await expect(op.getByTestId('console-mode')).toHaveText('write');
	await expect(op.getByTestId('read-only')).toHaveCount(0);
	await op.locator('.xterm').click();
	await page.keyboard.type(`echo hello-$((6*7))-${run}`);
	await page.keyboard.press('Enter');
	await expect(screen(op)).toContainText(`hello-42-${run}`, { timeout: 15_000 });

	// The viewer joins from another browser, at tablet size with touch: sees the scrollback and live output.
	const context = await browser.newContext({
		viewport: { width: 768, height: 1024 },
		hasTouch: true,
		isMobile: true
	});
	const other = await context.newPage();
	const errors: string[] = [];
	other.on('pageerror', (e) => errors.push(e.message));
	await signIn(other, viewerName, 'watcher-password-1');
	const vwin = await openConsoles(other, { maximise: false });
	await expect(vwin.locator(`li[data-console="${name}"]`).getByTestId('console-mode')).toHaveText(
		'read-only'
	);
	await shot(other, 'consoles-picker-768x1024');
	const viewer = await openConsole(vwin, name);
	await expect(screen(viewer)).toContainText(`hello-42-${run}`);
	await expect(viewer.getByTestId('read-only')).toBeVisible();
	await expect(viewer.getByTestId('console-mode')).toHaveText('read-only');
	// No key row and no Keys button for someone who may not type.
	await expect(viewer.getByTestId('key-row')).toHaveCount(0);
	await expect(viewer.getByRole('button', { name: 'Keys' })).toHaveCount(0);

	// Both in the room: the participants list says who may type.
	await expect(op.getByTestId('participants-button')).toContainText('2');
	await op.getByTestId('participants-button').click();
	const people = op.getByTestId('participants');
	await expect(people.locator(`li[data-user="${viewerName}"]`)).toContainText('watches');
	await expect(people.locator(`li[data-user="${ADMIN.username}"]`)).toContainText('may type');
	await shot(page, 'consoles-participants-1440x900');
	await op.getByTestId('participants-button').click();

	// Live: what the operator types now reaches the viewer too.
	await op.locator('.xterm').click();
	await page.keyboard.type(`echo second-$((7*8))-${run}`);
	await page.keyboard.press('Enter');
	await expect(screen(op)).toContainText(`second-56-${run}`, { timeout: 15_000 });
	await expect(screen(viewer)).toContainText(`second-56-${run}`, { timeout: 15_000 });
	await expect(viewer.getByTestId('console-latency')).toContainText(/\d+(\.\d)? ms/);
	await shot(other, 'consoles-viewer-768x1024');

	// The viewer's keys are not sent: the terminal says so and nothing reaches the shell.
	await viewer.locator('.xterm').tap();
	await other.keyboard.type(`echo viewer-$((2*3))-${run}`);
	await other.keyboard.press('Enter');
	await expect(viewer.getByTestId('console-notice')).toContainText('Read-only');

	// Sent anyway, past the UI, on a raw socket with the viewer's session: the server drops it and says so.
	const consoleId = Number(
		(await query<{ id: number; name: string }[]>(page.request, 'consoles.list', { search: name })).find(
			(c) => c.name === name
		)!.id
	);
	const raw = io(`${ORIGIN}/desktop`, {
		transports: ['websocket'],
		extraHeaders: { cookie: await cookieHeader(context), origin: ORIGIN }
	});
	try {
		const joined = await raw.timeout(10_000).emitWithAck('console:join', { consoleId });
		expect(joined).toMatchObject({ ok: true, mode: 'view' });
		const notice = new Promise<{ level: string; message: string }>((resolve) =>
			raw.on('console:notice', resolve)
		);
		raw.emit('console:input', { consoleId, data: `echo forced-$((3*3))-${run}\r` });
		expect((await notice).level).not.toBe('info');
	} finally {
		raw.close();
	}
	// A command the shell would have run shows its result; neither the typed nor the forced one did.
	await op.locator('.xterm').click();
	await page.keyboard.type(`echo marker-$((5*5))-${run}`);
	await page.keyboard.press('Enter');
	await expect(screen(viewer)).toContainText(`marker-25-${run}`, { timeout: 15_000 });
	await expect(screen(op)).not.toContainText(`viewer-6-${run}`);
	await expect(screen(op)).not.toContainText(`forced-9-${run}`);
	await expect(screen(op)).not.toContainText(`echo viewer-`);

	// The paste guard: two lines need a confirmation showing them; then both run.
	await op.locator('.xterm').click();
	await op.locator('.xterm textarea').evaluate((el, text) => {
		const data = new DataTransfer();
		data.setData('text/plain', text);
		el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
	}, `echo paste-one-$((1+1))\necho paste-two-$((2+2))\n`);
	const guard = page.getByTestId('paste-guard');
	await expect(guard).toContainText('2 lines');
	await expect(guard).toContainText('echo paste-one-$((1+1))');
	await shot(page, 'consoles-paste-guard-1440x900');
	await guard.getByRole('button', { name: 'Paste 2 lines' }).click();
	// bash asked for bracketed paste: the lines wait in its editor until Enter runs them.
	await expect(screen(op)).toContainText('echo paste-two-$((2+2))');
	await page.keyboard.press('Enter');
	await expect(screen(op)).toContainText('paste-one-2', { timeout: 15_000 });
	await expect(screen(op)).toContainText('paste-two-4', { timeout: 15_000 });
	// A paste over the input limit is refused with a message, not sent.
	await op.locator('.xterm textarea').evaluate((el) => {
		const data = new DataTransfer();
		data.setData('text/plain', 'x'.repeat(70 * 1024));
		el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
	});
	await expect(op.getByTestId('console-notice')).toContainText('at most 64 KB');

	// The key row: ↑ recalls the last command, Enter runs it again.
	await op.getByRole('button', { name: 'Keys' }).click();
	await op.getByTestId('key-row').getByRole('button', { name: 'Arrow up' }).click();
	await page.keyboard.press('Enter');
	await expect(async () => {
		const text = (await screen(op).textContent()) ?? '';
		expect(text.split('paste-two-4').length - 1).toBeGreaterThanOrEqual(2);
	}).toPass({ timeout: 15_000 });
	await shot(page, 'consoles-operator-1440x900');

	// Replay from the console's menu: the log plays in a read-only terminal; seeking back shows earlier output.
	await op.getByTestId('console-menu').click();
	await op.getByRole('button', { name: 'Replay access log…' }).click();
	const replayWin = page.locator('[data-testid="window"][data-app="consoles"]').nth(1);
	const replay = replayWin.getByTestId('replay');
	await expect(replay).toBeVisible();
	await replayWin.getByRole('button', { name: 'Maximise' }).click();
	const runs = replay.getByTestId('replay-inputs');
	await expect(runs).toContainText(`echo second-$((7*8))-${run}`, { timeout: 20_000 });
	await expect(runs).toContainText(ADMIN.username);
	// The viewer's dropped keys are not in the log as input.
	await expect(runs).not.toContainText(`viewer-`);
	// Jump to the moment the second command was typed: the first one's output is there, the second's not yet.
	await runs.getByRole('button', { name: new RegExp(`echo second-`) }).click();
	await expect(screen(replay)).toContainText(`hello-42-${run}`);
	await expect(screen(replay)).not.toContainText(`second-56-${run}`);
	// Seek to the end on the timeline: now it is.
	const seek = replay.getByTestId('replay-seek');
	await seek.focus();
	await page.keyboard.press('End');
	await expect(screen(replay)).toContainText(`second-56-${run}`);
	// And back to the start: the screen is cleared and drawn again.
	await page.keyboard.press('Home');
	await expect(screen(replay)).not.toContainText(`hello-42-${run}`);
	// Play at ×16 from the start reaches the first command's output.
	await replay.getByTestId('replay-speed').selectOption('16');
	await replay.getByTestId('replay-play').click();
	await expect(screen(replay)).toContainText(`hello-42-${run}`, { timeout: 30_000 });
	await replay.getByTestId('verify-chain').click();
	await expect(replay.getByTestId('verify-result')).toContainText('Chain intact');
	await replay.getByTestId('replay-export').click();
	const cast = replay.getByRole('link', { name: /asciicast/ });
	const res = await page.request.get((await cast.getAttribute('href'))!);
	expect(res.ok()).toBe(true);
	const header = JSON.parse((await res.text()).split('\n')[0]) as { version: number };
	expect(header.version).toBe(2);
	await shot(page, 'consoles-replay-1440x900');

	expect(errors).toEqual([]);
	await context.close();
});

test.describe('Consoles on a tablet', () => {
	test.use({ viewport: { width: 1024, height: 768 }, hasTouch: true, isMobile: true });

	test('one writer at a time (take, request, hand over, take over), the key row sticky Ctrl, the replay in portrait', async ({
		page,
		browser
	}) => {
		test.setTimeout(120_000);
		await signIn(page);
		const groupId = await newGroup(page, `consoles-tab-${run}`);
		const device = await agentDevice(page, groupId);
		const name = `tab-${run}`;
		await mutate(page.request, 'consoles.create', {
			name,
			deviceId: device.id,
			target: { kind: 'shell' },
			oneWriter: true
		});
		const win = await openConsoles(page);
		const op = await openConsole(win, name);
		await expect(op.getByTestId('key-row')).toBeVisible();

		// One writer at a time: nobody holds the keyboard yet, so typing waits for it.
		await expect(op.getByTestId('console-mode')).toContainText('waiting for the keyboard');
		await op.getByRole('button', { name: 'Take the keyboard' }).tap();
		await expect(op.getByTestId('console-mode')).toContainText('you have the keyboard');

		await op.locator('.xterm').tap();
		await page.keyboard.type('sleep 300');
		await page.keyboard.press('Enter');
		// Ctrl is sticky: tap it, then the key.
		const keys = op.getByTestId('key-row');
		await keys.getByRole('button', { name: 'Ctrl' }).tap();
		await expect(keys.getByRole('button', { name: 'Ctrl' })).toHaveAttribute('aria-pressed', 'true');
		await page.keyboard.type('c');
		await expect(keys.getByRole('button', { name: 'Ctrl' })).toHaveAttribute('aria-pressed', 'false');
		await page.keyboard.type(`echo after-$((4*4))-${run}`);
		await page.keyboard.press('Enter');
		await expect(screen(op)).toContainText(`after-16-${run}`, { timeout: 15_000 });
		await expect(screen(op)).toContainText('^C');
		await shot(page, 'consoles-keyrow-1024x768');

		// A second operator asks for the keyboard; the writer hands it over; the writer's keys then stop.
		const roles = await query<{ id: number; name: string }[]>(page.request, 'roles.list');
		const opName = `op2-${run}`;
		await mutate(page.request, 'users.create', {
			username: opName,
			password: 'operator-password-2',
			roleIds: [roles.find((r) => r.name === 'Operator')!.id]
		});
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		const other = await context.newPage();
		await signIn(other, opName, 'operator-password-2');
		const owin = await openConsoles(other);
		const op2 = await openConsole(owin, name);
		await expect(op2.getByTestId('console-mode')).toContainText('waiting for the keyboard');
		await op2.getByRole('button', { name: 'Request control' }).click();
		const request = op.getByTestId('control-request');
		await expect(request).toContainText(`${opName} asks for the keyboard`);
		await shot(page, 'consoles-control-request-1024x768');
		await request.getByRole('button', { name: 'Hand over' }).tap();
		await expect(op2.getByTestId('console-mode')).toContainText('you have the keyboard');
		await expect(op.getByTestId('console-mode')).toContainText('waiting for the keyboard');
		await op2.locator('.xterm').click();
		await other.keyboard.type(`echo from-op2-$((9*9))`);
		await other.keyboard.press('Enter');
		await expect(screen(op)).toContainText('from-op2-81', { timeout: 15_000 });
		// The administrator (console.break) takes it back without asking.
		await op.getByRole('button', { name: 'Take over' }).tap();
		await expect(op.getByTestId('console-mode')).toContainText('you have the keyboard');
		await expect(op2.getByTestId('console-mode')).toContainText('waiting for the keyboard');
		await context.close();

		await op.getByTestId('console-menu').tap();
		await op.getByRole('button', { name: 'Replay access log…' }).tap();
		const replayWin = page.locator('[data-testid="window"][data-app="consoles"]').nth(1);
		await replayWin.getByRole('button', { name: 'Maximise' }).tap();
		const replay = replayWin.getByTestId('replay');
		await expect(replay.getByTestId('replay-inputs')).toContainText('sleep 300', { timeout: 20_000 });
		await expect(replay.getByTestId('replay-inputs')).toContainText('^C');
		await shot(page, 'consoles-replay-1024x768');
		await page.setViewportSize({ width: 768, height: 1024 });
		await expect(replay.getByTestId('replay-play')).toBeVisible();
		expect(await replayWin.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);
		await shot(page, 'consoles-replay-768x1024');
	});
});

test('a manager creates an ssh console with a credential, edits, stops, starts and deletes it', async ({
	page
}) => {
	test.setTimeout(120_000);
	await page.setViewportSize({ width: 1440, height: 900 });
	await signIn(page);
	const groupId = await newGroup(page, `consoles-mgmt-${run}`);
	const device = await agentDevice(page, groupId);
	const win = await openConsoles(page);
	const name = `ssh-${run}`;

	await win.getByRole('button', { name: 'New console…' }).click();
	const form = page.getByTestId('console-form');
	// Nothing filled in: the form says what is missing, next to each field.
	await form.getByLabel('Kind').selectOption('ssh');
	await form.getByRole('button', { name: 'Create console' }).click();
	await expect(form.getByLabel('Console name')).toHaveAttribute('aria-invalid', 'true');
	await expect(form).toContainText('Choose the device this console reaches.');
	await expect(form).toContainText('The host is required');
	await form.getByLabel('Console name').fill(name);
	await form.getByLabel('Device', { exact: true }).selectOption({ label: device.name });
	// Nothing listens on port 1: the pipe keeps retrying, and says why.
	await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
	await form.getByLabel('Port').fill('1');
	await form.getByLabel('SSH user').fill('nobody');
	await form.getByLabel('SSH password').fill('not-a-real-password');
	await shot(page, 'consoles-form-ssh-1440x900');
	await form.getByRole('button', { name: 'Create console' }).click();
	await expect(form).toHaveCount(0);
	const view = win.locator(`[data-testid="console-view"][data-console="${name}"]`);
	await expect(view.getByTestId('pipe-state')).toHaveText(/retrying|failed/, { timeout: 30_000 });
	await expect(view.getByTestId('console-status')).toContainText(/refused|ECONNREFUSED/i);
	await shot(page, 'consoles-retrying-1440x900');

	const row = win.locator(`li[data-console="${name}"]`);
	const actions = async (item: string) => {
		await row.getByRole('button', { name: `Actions for ${name}` }).click();
		await win.getByRole('button', { name: item }).click();
	};

	// The credential is write-only: the dialog says "set", never shows it, and can clear it.
	await actions('SSH credential…');
	let cred = page.getByTestId('credential-form');
	await expect(cred.getByTestId('credential-state')).toHaveText('set');
	await expect(cred.getByLabel('SSH password')).toHaveValue('');
	await cred.getByRole('button', { name: 'Clear it' }).click();
	await expect(cred).toHaveCount(0);
	await actions('SSH credential…');
	cred = page.getByTestId('credential-form');
	await expect(cred.getByTestId('credential-state')).toHaveText('not set');
	// A private key that is not one: the server says what is wrong.
	await cred.getByRole('radio', { name: 'Private key' }).check();
	await cred.getByLabel('Private key (PEM or OpenSSH)').fill('hello');
	await cred.getByRole('button', { name: 'Set credential' }).click();
	await expect(cred.getByRole('alert')).toContainText('PEM or OpenSSH');
	await cred.getByRole('button', { name: 'Cancel' }).click();

	// Edit: the form comes back filled in; a new tag shows in the list and finds it.
	await actions('Edit…');
	const edit = page.getByTestId('console-form');
	await expect(edit.getByLabel('Host', { exact: true })).toHaveValue('127.0.0.1');
	await expect(edit.getByTestId('credential-state')).toHaveText('not set');
	await edit.getByLabel('Tags').fill('rack9');
	await edit.getByRole('button', { name: 'Save' }).click();
	await expect(edit).toHaveCount(0);
	await win.getByRole('searchbox', { name: 'Search consoles' }).fill('tag:rack9');
	await expect(win.locator('li[data-console]')).toHaveCount(1);
	await expect(row).toContainText('rack9');

	// Stop closes the pipe until someone starts it again.
	await actions('Stop');
	await page
		.getByRole('dialog', { name: `Stop ${name}?` })
		.getByRole('button', { name: 'Stop console' })
		.click();
	await expect(row.getByTestId('console-state')).toHaveText('stopped', { timeout: 15_000 });
	await expect(view.getByTestId('pipe-state')).toHaveText('stopped');
	await actions('Start');
	await expect(row.getByTestId('console-state')).not.toHaveText('stopped', { timeout: 15_000 });

	await actions('Delete…');
	await page
		.getByRole('dialog', { name: `Delete ${name}?` })
		.getByRole('button', { name: 'Delete console' })
		.click();
	await expect(row).toHaveCount(0);
});
