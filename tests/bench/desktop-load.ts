// Benchmark: the desktop's first load, built, on localhost, in headless Chromium.
// Reports the shell's JavaScript (gzip) and the time until the desktop answers a click, against an in-run
// baseline: the same browser loading a trivial document (/healthz) from the same server.
import { chromium } from '@playwright/test';
import { gzipSync } from 'node:zlib';
import { startServer, signIn, ADMIN_PASSWORD } from '../helpers/server';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchDesktopLoad() {
	const server = await startServer();
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ARGS
	});
	try {
		const cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const [name, value] = cookie.split('=');
		const interactive: number[] = [];
		const baseline: number[] = [];
		let jsGzip = 0;
		let jsFiles = 0;
		for (let i = 0; i < RUNS + 1; i++) {
			const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
			await ctx.addCookies([{ name, value, url: server.url }]);
			const page = await ctx.newPage();
			const scripts: import('@playwright/test').Response[] = [];
			page.on('response', (r) => {
				if (r.request().resourceType() === 'script') scripts.push(r);
			});

			const b0 = Date.now();
			await page.goto(`${server.url}/healthz`);
			const b1 = Date.now() - b0;

			const t0 = Date.now();
			await page.goto(server.url);
			// Interactive means hydrated: a click before that would go nowhere.
			await page.locator('[data-testid="desktop"][data-ready="true"]').waitFor();
			await page.getByRole('button', { name: 'Open launcher' }).click();
			await page.getByTestId('launcher').waitFor({ state: 'visible' });
			const t1 = Date.now() - t0;
			if (i > 0) {
				// the first run warms the server's caches; it is not counted
				interactive.push(t1);
				baseline.push(b1);
			}
			if (i === 1) {
				const bodies = await Promise.all(scripts.map((r) => r.body().catch(() => Buffer.alloc(0))));
				jsGzip = bodies.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
				jsFiles = bodies.length;
			}
			await ctx.close();
		}
		return {
			runs: RUNS,
			jsGzipKB: jsGzip / 1024,
			jsFiles,
			interactiveMs: median(interactive),
			baselineMs: median(baseline)
		};
	} finally {
		await browser.close();
		await server.stop();
	}
}
