// Bundles the agent and everything it uses into one file, agent/dist/fleetdesk-agent.js: copy it to a host
// with Node 20 and run it. Uses the repository's node_modules (the agent has no install of its own).
// node-pty, ssh2 and serialport hold native code, so they stay outside the bundle: the agent loads them from
// node_modules next to it (in the repository: the root node_modules) only when a console of their kind opens.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const outfile = path.join(here, 'dist', 'fleetdesk-agent.js');
const NATIVE = ['node-pty', 'ssh2', 'serialport'];
for (const name of NATIVE)
	if (!pkg.dependencies?.[name])
		throw new Error(`agent/package.json must list ${name} (it is left out of the bundle)`);

await build({
	entryPoints: [path.join(here, 'src', 'main.ts')],
	outfile,
	bundle: true,
	platform: 'node',
	// CommonJS: the bundled libraries' optional require()s (ws's bufferutil) stay plain require()s.
	format: 'cjs',
	target: 'node20',
	banner: { js: '#!/usr/bin/env node' },
	define: { __AGENT_VERSION__: JSON.stringify(pkg.version) },
	legalComments: 'none',
	external: NATIVE,
	logLevel: 'warning'
});
fs.chmodSync(outfile, 0o755);
console.log(
	`built ${path.relative(process.cwd(), outfile)} (${(fs.statSync(outfile).size / 1024).toFixed(0)} KiB)`
);
