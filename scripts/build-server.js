// Bundles the Node entry points (server and CLI) next to adapter-node's output in build/.
import { build } from 'esbuild';

await build({
	entryPoints: { server: 'src/server/main.ts', cli: 'src/server/cli.ts' },
	outdir: 'build',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	packages: 'external',
	sourcemap: true,
	logLevel: 'warning',
	banner: {
		js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
	}
});
console.log('built build/server.js and build/cli.js');
