import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 3199);
// The e2e server's agent gateway (tests/e2e/fleet.spec.ts enrols a real agent); next to the web port, so that
// parallel runs on different E2E_PORTs do not fight over one port. Workers read it from the environment.
process.env.E2E_AGENT_PORT ??= String(port + 1000);

export default defineConfig({
	testDir: 'tests/e2e',
	// A subfolder: Playwright empties its output folder, and the vitest reports live in test-results/.
	outputDir: 'test-results/e2e-artifacts',
	timeout: 60_000,
	expect: { timeout: 10_000 },
	fullyParallel: false,
	workers: 1,
	forbidOnly: true,
	retries: 0,
	reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		browserName: 'chromium',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync'
			]
		},
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure'
	},
	webServer: {
		command: 'node tests/e2e/serve.js',
		url: `http://127.0.0.1:${port}/healthz`,
		reuseExistingServer: false,
		timeout: 120_000,
		env: { E2E_PORT: String(port), E2E_AGENT_PORT: process.env.E2E_AGENT_PORT },
		stdout: 'pipe'
	}
});
