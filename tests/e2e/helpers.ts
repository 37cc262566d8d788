import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';

/** Playwright's test, failing any test whose page threw an uncaught error (e.g. a Svelte effect loop). */
export const test = base.extend<{ pageErrors: void }>({
	pageErrors: [
		async ({ page }, use) => {
			const errors: string[] = [];
			page.on('pageerror', (e) => errors.push(e.message));
			await use();
			expect(errors, 'uncaught errors in the page').toEqual([]);
		},
		{ auto: true }
	]
});
export { expect };

export const ADMIN = { username: 'admin', password: 'e2e-admin-password' };

export async function signIn(
	page: Page,
	username = ADMIN.username,
	password = ADMIN.password
): Promise<void> {
	await page.goto('/login');
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('taskbar')).toBeVisible();
	await expect(page.getByTestId('desktop')).toHaveAttribute('data-ready', 'true');
}

/** Calls a tRPC mutation with the page's session, as the browser app would. */
export async function mutate(request: APIRequestContext, path: string, input: unknown): Promise<unknown> {
	const res = await request.post(`/api/trpc/${path}`, {
		data: input,
		headers: { origin: `http://127.0.0.1:${process.env.E2E_PORT ?? 3199}` }
	});
	const body = await res.json();
	if (!res.ok()) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
	return body.result.data;
}

export async function windowBox(page: Page, app: string, nth = 0) {
	const w = page.locator(`[data-testid="window"][data-app="${app}"]`).nth(nth);
	await expect(w).toBeVisible();
	const box = await w.boundingBox();
	if (!box) throw new Error(`window ${app} has no box`);
	return { w, box };
}

/** Calls a tRPC query with the page's session. */
export async function query<T>(request: APIRequestContext, p: string, input?: unknown): Promise<T> {
	const q = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
	const res = await request.get(`/api/trpc/${p}${q}`);
	expect(res.ok(), `${p}: ${res.status()}`).toBe(true);
	return ((await res.json()) as { result: { data: T } }).result.data;
}

const SHOTS = 'test-results/screenshots';

/** A screenshot of the page, for people to look at (test-results/screenshots/NAME.png). */
export async function shot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** A device group; returns its id. */
export async function newGroup(page: Page, name: string, description?: string): Promise<number> {
	const g = (await mutate(page.request, 'groups.create', { name, description })) as { id: number };
	return g.id;
}

/** An agent join token into `groupId`, valid for 15 minutes (`uses`: how many enrolments it allows). */
export async function joinToken(page: Page, groupId: number, uses?: number): Promise<string> {
	const { token } = (await mutate(page.request, 'agents.tokens.create', {
		groupId,
		ttlSeconds: 900,
		uses
	})) as { token: string };
	return token;
}

/** An empty desktop (the saved layout cleared, the page reloaded), then the app `label` from its desktop icon. */
export async function openApp(page: Page, label: string, app: string): Promise<Locator> {
	await mutate(page.request, 'desktop.saveLayout', {
		version: 1,
		windows: [],
		activeId: null,
		theme: 'light'
	});
	await page.reload();
	await expect(page.getByTestId('desktop')).toHaveAttribute('data-ready', 'true');
	await page.getByRole('button', { name: label, exact: true }).first().click();
	const win = page.locator(`[data-testid="window"][data-app="${app}"]`);
	await expect(win).toBeVisible();
	return win;
}

const AGENT = path.resolve('agent/dist/fleetdesk-agent.js');
/** The e2e server's agent gateway, as agents are told to reach it (`--server`). */
export const AGENT_SERVER = `https://127.0.0.1:${Number(process.env.E2E_AGENT_PORT)}`;

/** A real agent process (the built agent/dist bundle) and what it has printed so far. */
export interface AgentProcess {
	proc: ChildProcess;
	output: () => string;
	exited: Promise<number | null>;
}

/**
 * The real agent processes a spec file starts and the directories it makes for them. Call stop() in the
 * file's afterAll: it ends the processes still running, waits for them, and removes the directories.
 */
export class RealAgents {
	private readonly procs: AgentProcess[] = [];
	private readonly dirs: string[] = [];

	/** Runs the agent CLI with `args`. */
	spawn(args: string[]): AgentProcess {
		const proc = spawn(process.execPath, [AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		proc.stdout!.on('data', (d) => (out += d));
		proc.stderr!.on('data', (d) => (out += d));
		const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
		const a = { proc, output: () => out, exited };
		this.procs.push(a);
		return a;
	}

	/** A new temporary directory, removed by stop(). */
	tempDir(prefix: string): string {
		const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
		this.dirs.push(d);
		return d;
	}

	/**
	 * Enrols a real agent with `token` over the gateway (real TLS) into a new directory named from `prefix`, without
	 * running it; returns the device name the server gave it and the directory to run() it from.
	 */
	async enrol(token: string, prefix: string, server = AGENT_SERVER): Promise<{ name: string; dir: string }> {
		const dir = this.tempDir(prefix);
		const enrol = this.spawn(['enroll', '--server', server, '--token', token, '--dir', dir]);
		expect(await enrol.exited, enrol.output()).toBe(0);
		const name = /\(device ([^)]+)\)/.exec(enrol.output())?.[1];
		expect(name, enrol.output()).toBeTruthy();
		return { name: name!, dir };
	}

	/** Runs the agent enrolled in `dir` with `config` as its config file. */
	run(dir: string, config: object): AgentProcess {
		const configFile = path.join(dir, 'config.json');
		fs.writeFileSync(configFile, JSON.stringify(config));
		return this.spawn(['run', '--dir', dir, '--config', configFile]);
	}

	/**
	 * Enrols a real agent with `token` over the gateway (real TLS) into a new directory named from `prefix`, then
	 * runs it with `config` as its config file; returns the device name the server gave it.
	 */
	async enrolAndRun(
		token: string,
		config: object,
		prefix: string,
		server = AGENT_SERVER
	): Promise<{ name: string; agent: AgentProcess }> {
		const { name, dir } = await this.enrol(token, prefix, server);
		return { name, agent: this.run(dir, config) };
	}

	async stop(): Promise<void> {
		for (const a of this.procs)
			if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill('SIGTERM');
		await Promise.all(this.procs.map((a) => a.exited));
		for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
	}
}
