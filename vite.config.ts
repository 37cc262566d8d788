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

/**
 * Integration files that run alone, after the others: 200 simulated agents reconnecting within a backoff
 * window, and a kill -9 of the server during an output flood both measure the machine as much as the code.
 */
const SERIAL_INTEGRATION = [
	'tests/integration/agents-simulate.spec.ts',
	'tests/integration/consoles-restart.spec.ts'
];

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
					exclude: SERIAL_INTEGRATION,
					environment: 'node',
					testTimeout: 60_000,
					hookTimeout: 120_000,
					// Each file starts its own servers, agents and databases on free ports; most of their time is
					// spent waiting on those processes, so two files at once on two cores.
					fileParallelism: true,
					maxWorkers: 2
				}
			},
			{
				extends: true,
				test: {
					name: 'integration-serial',
					include: SERIAL_INTEGRATION,
					environment: 'node',
					testTimeout: 60_000,
					hookTimeout: 120_000,
					fileParallelism: false
				}
			}
		]
	}
});
