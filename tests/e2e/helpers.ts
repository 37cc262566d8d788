import { test as base, expect, type Page, type APIRequestContext } from '@playwright/test';

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
