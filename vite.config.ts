import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/** In `vite dev`, boot the same services as production and attach Socket.IO to Vite's HTTP server. */
function fleetdeskDev(): Plugin {
	return {
		name: 'fleetdesk-dev',
		apply: 'serve',
		async configureServer(server) {
			if (!server.httpServer || process.env.VITEST) return;
			const { bootDev } = (await server.ssrLoadModule(
				'/src/server/dev.ts'
			)) as typeof import('./src/server/dev');
			await bootDev(server.httpServer as import('node:http').Server);
		}
	};
}

export default defineConfig({
	plugins: [sveltekit(), fleetdeskDev()],
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.spec.ts', 'tests/unit/**/*.spec.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.spec.ts'],
					environment: 'node',
					testTimeout: 60_000,
					hookTimeout: 120_000,
					fileParallelism: false
				}
			}
		]
	}
});
