// Access-log forwarding and retention in the Logs app, at tablet size: a syslog-over-TCP forwarder made in the
// form (a bad port refused at its field first), aimed at a real TCP listener this test runs; the test message,
// then the forwarder connected in the list and real access-log records (a console of a real enrolled agent
// started and stopped) arriving at the listener as RFC 5424 messages. Retention is set and shown; a user
// without logs.manage does not get the tab.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, mutate, signIn, test } from './helpers';

const AGENT = path.resolve('agent/dist/fleetdesk-agent.js');
const AGENT_PORT = Number(process.env.E2E_AGENT_PORT);
const SHOTS = 'test-results/screenshots';
const run = Date.now().toString(36).slice(-5);

interface Agent {
	proc: ChildProcess;
	output: () => string;
	exited: Promise<number | null>;
}

const agents: Agent[] = [];
const dirs: string[] = [];
const servers: net.Server[] = [];
test.afterAll(async () => {
	for (const a of agents) if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill('SIGTERM');
	await Promise.all(agents.map((a) => a.exited));
	for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
	for (const s of servers) s.close();
});

function spawnAgent(args: string[]): Agent {
	const proc = spawn(process.execPath, [AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	proc.stdout!.on('data', (d) => (out += d));
	proc.stderr!.on('data', (d) => (out += d));
	const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
	return { proc, output: () => out, exited };
}

/** A real agent enrolled into `groupId` and running with shell consoles allowed; returns its device id. */
async function agentDevice(page: Page, groupId: number): Promise<number> {
	const { token } = (await mutate(page.request, 'agents.tokens.create', { groupId, ttlSeconds: 900 })) as {
		token: string;
	};
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forwarders-e2e-agent-'));
	dirs.push(dir);
	const enrol = spawnAgent([
		'enroll',
		'--server',
		`https://127.0.0.1:${AGENT_PORT}`,
		'--token',
		token,
		'--dir',
		dir
	]);
	agents.push(enrol);
	expect(await enrol.exited, enrol.output()).toBe(0);
	const name = /\(device ([^)]+)\)/.exec(enrol.output())?.[1];
	expect(name, enrol.output()).toBeTruthy();
	const config = path.join(dir, 'config.json');
	fs.writeFileSync(config, JSON.stringify({ consoles: { allow: ['shell'] } }));
	const agent = spawnAgent(['run', '--dir', dir, '--config', config]);
	agents.push(agent);
	let id = 0;
	await expect(async () => {
		const res = await page.request.get('/api/trpc/fleet.devices');
		const devices = (
			(await res.json()) as { result: { data: { name: string; deviceId: number | null; online: boolean }[] } }
		).result.data;
		const d = devices.find((x) => x.name === name);
		expect(d?.online, agent.output()).toBe(true);
		id = d!.deviceId!;
	}).toPass({ timeout: 20_000 });
	return id;
}

/** A TCP syslog receiver: every octet-counted message it gets (RFC 6587). */
async function listener(): Promise<{ port: number; messages: string[] }> {
	const messages: string[] = [];
	const server = net.createServer((s) => {
		let buf = Buffer.alloc(0);
		s.on('error', () => {});
		s.on('data', (chunk) => {
			buf = Buffer.concat([buf, chunk]);
			for (;;) {
				const sp = buf.indexOf(0x20);
				const n = sp > 0 ? Number(buf.subarray(0, sp).toString()) : NaN;
				if (!Number.isFinite(n) || buf.length < sp + 1 + n) return;
				messages.push(buf.subarray(sp + 1, sp + 1 + n).toString('utf8'));
				buf = buf.subarray(sp + 1 + n);
			}
		});
	});
	servers.push(server);
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return { port: (server.address() as net.AddressInfo).port, messages };
}

async function openLogs(page: Page): Promise<Locator> {
	await mutate(page.request, 'desktop.saveLayout', {
		version: 1,
		windows: [],
		activeId: null,
		theme: 'light'
	});
	await page.reload();
	await expect(page.getByTestId('desktop')).toHaveAttribute('data-ready', 'true');
	await page.getByRole('button', { name: 'Logs', exact: true }).first().tap();
	const win = page.locator('[data-testid="window"][data-app="logs"]');
	await expect(win).toBeVisible();
	const max = win.getByRole('button', { name: 'Maximise' });
	if (await max.isVisible()) await max.tap();
	return win;
}

test.use({ viewport: { width: 768, height: 1024 }, hasTouch: true, isMobile: true });

test('a syslog forwarder made in the Logs app connects and records arrive; retention is set beside it', async ({
	page,
	browser
}) => {
	test.setTimeout(120_000);
	await signIn(page);
	const group = (await mutate(page.request, 'groups.create', { name: `fwd-e2e-${run}` })) as { id: number };
	const deviceId = await agentDevice(page, group.id);
	const consoleName = `fwd-${run}`;
	const created = (await mutate(page.request, 'consoles.create', {
		name: consoleName,
		deviceId,
		target: { kind: 'shell' },
		persistent: false
	})) as { id: number };
	const siem = await listener();

	const win = await openLogs(page);
	await win.getByRole('tab', { name: 'Forwarding & retention' }).tap();
	const tab = win.getByTestId('forwarders');
	await expect(tab.getByTestId('retention')).toBeVisible();

	// Retention: 400 days, saved and shown back.
	await tab.getByLabel('Purge after').check();
	await tab.getByLabel('Days to keep access logs').fill('400');
	await tab.getByTestId('retention').getByRole('button', { name: 'Save' }).tap();
	await expect(tab.getByText('Access logs are kept 400 days.')).toBeVisible();

	await tab.getByRole('button', { name: 'New forwarder…' }).tap();
	const form = page.getByTestId('forwarder-form');
	await form.getByLabel('Name', { exact: true }).fill(`siem-${run}`);
	// HTTPS: a token with a scheme is fine, anything that could break the header is refused at the field
	await form.getByLabel('Sends to').selectOption('https');
	await form.getByLabel('URL').fill('https://127.0.0.1:1/services/collector');
	await form.getByLabel('Token', { exact: true }).fill('Splunk two words');
	await form.getByRole('button', { name: 'Create forwarder' }).tap();
	await expect(form.getByText(/scheme and credentials separated by one space/)).toBeVisible();
	await expect(form.getByLabel('Token', { exact: true })).toHaveAttribute('aria-invalid', 'true');
	// More headers, one "Name: value" per line: a line without a colon, then a header the server refuses
	await form.getByLabel('Token', { exact: true }).fill('Splunk 9f2c-hec');
	const headers = form.getByLabel('More headers (optional)');
	await headers.fill('X-Scope-OrgID ops');
	await form.getByRole('button', { name: 'Create forwarder' }).tap();
	await expect(form.getByText('Line 1: write a header as "Name: value".')).toBeVisible();
	await expect(headers).toHaveAttribute('aria-invalid', 'true');
	await headers.fill('X-Scope-OrgID: ops\nContent-Length: 5');
	await form.getByRole('button', { name: 'Create forwarder' }).tap();
	await expect(form.getByText(/Fleetdesk sets this header itself/)).toBeVisible();
	await expect(headers).toHaveAttribute('aria-invalid', 'true');
	await page.screenshot({ path: `${SHOTS}/forwarder-form-https-768x1024.png` });
	await form.getByLabel('Sends to').selectOption('syslog-tcp');
	await form.getByLabel('Host').fill('127.0.0.1');
	// The server's message for a bad port shows at the port field.
	await form.getByLabel('Port').fill('70000');
	await form.getByRole('button', { name: 'Create forwarder' }).tap();
	await expect(form.getByText('Ports are 1–65535.')).toBeVisible();
	await expect(form.getByLabel('Port')).toHaveAttribute('aria-invalid', 'true');

	await form.getByLabel('Port').fill(String(siem.port));
	await form.getByRole('button', { name: 'Test connection' }).tap();
	await expect(form.getByTestId('forwarder-test-result')).toContainText('The endpoint took the test message');
	await expect
		.poll(() => siem.messages.some((m) => m.includes(`test message from forwarder "siem-${run}"`)))
		.toBe(true);
	expect(await form.evaluate((f) => f.scrollWidth - f.clientWidth)).toBeLessThanOrEqual(0);
	await page.screenshot({ path: `${SHOTS}/forwarder-form-768x1024.png` });
	await form.getByRole('button', { name: 'Create forwarder' }).tap();
	await expect(form).toBeHidden();

	const row = tab.locator(`[data-testid="forwarder"][data-forwarder="siem-${run}"]`);
	await expect(row.getByTestId('forwarder-state')).toHaveText('Connected', { timeout: 30_000 });

	// Real records: starting and stopping the console writes them to its access log.
	await mutate(page.request, 'consoles.start', { id: created.id });
	await mutate(page.request, 'consoles.stop', { id: created.id });
	await expect
		.poll(() => siem.messages.filter((m) => m.includes(` fleetdesk ${consoleName} `)).length, {
			timeout: 30_000
		})
		.toBeGreaterThanOrEqual(2);
	const first = siem.messages.find((m) => m.includes(` fleetdesk ${consoleName} `))!;
	expect(first).toMatch(
		/^<\d+>1 \S+ \S+ fleetdesk \S+ event \[fleetdesk@32473 [^\]]*seq="1"[^\]]* hash="[0-9a-f]{64}"/
	);
	await expect(row.getByTestId('forwarder-behind')).toHaveText('up to date', { timeout: 30_000 });
	await expect(row.getByTestId('forwarder-sent')).not.toHaveText(/^\s*0\s*$/);
	expect(await win.evaluate((w) => w.scrollWidth - w.clientWidth)).toBeLessThanOrEqual(0);
	await page.screenshot({ path: `${SHOTS}/forwarders-768x1024.png` });

	// Delete asks first.
	await row.getByRole('button', { name: 'Delete…' }).tap();
	await page.getByRole('button', { name: 'Delete', exact: true }).tap();
	await expect(row).toBeHidden();

	// Without logs.manage there is no such tab.
	await mutate(page.request, 'users.create', {
		username: `fwd-viewer-${run}`,
		password: 'viewer-password-123',
		roleIds: [
			(
				(await (await page.request.get('/api/trpc/roles.list')).json()) as {
					result: { data: { id: number; name: string }[] };
				}
			).result.data.find((r) => r.name === 'Viewer')!.id
		]
	});
	const other = await browser.newContext({
		viewport: { width: 768, height: 1024 },
		hasTouch: true,
		isMobile: true
	});
	const vp = await other.newPage();
	await signIn(vp, `fwd-viewer-${run}`, 'viewer-password-123');
	const vw = await openLogs(vp);
	await expect(vw.getByRole('tab', { name: 'Pattern rules' })).toBeVisible();
	await expect(vw.getByRole('tab', { name: 'Forwarding & retention' })).toHaveCount(0);
	await other.close();
});
